// A minimal RFC 5322 message for the send_email binding: multipart/alternative with a plain-text
// and an HTML part, both UTF-8 in base64 (so no line of the body can break the format).
import type { EmailContent } from '../../core/alerts/payloads/email.ts';

export interface MimeOptions {
  from: string;
  to: string;
  content: EmailContent;
  /** ms since the epoch: the Date header and part of the Message-ID. */
  date: number;
  /** Unique per message and stable across retries (the notification's key). */
  id: string;
  headers?: Record<string, string>;
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/.{1,76}/g, '$&\r\n');
}

/** RFC 2047 §2: an encoded word is at most 75 characters; RFC 5322 §2.1.1: a line should stay within 78. */
const MAX_ENCODED_WORD = 75;
const MAX_LINE = 78;
/** `=?UTF-8?B?` and `?=` around the base64 text of an encoded word. */
const ENCODED_WORD_OVERHEAD = '=?UTF-8?B??='.length;
const FOLD = '\r\n ';

/**
 * A header value, CR/LF flattened (no header injection). Plain ASCII stays as it is; anything else
 * becomes RFC 2047 encoded words of whole UTF-8 characters, each within 75 characters, folded so
 * that no line (`Name: ` included on the first) passes 78 characters.
 */
function headerValue(value: string, name: string): string {
  const line = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  return encodedWords(line, MAX_LINE - `${name}: `.length);
}

/** Encoded words for `text`, the first within `firstLineRoom` characters (or on a line of its own). */
function encodedWords(text: string, firstLineRoom: number): string {
  const bytesFor = (room: number) => Math.floor((Math.min(room, MAX_ENCODED_WORD) - ENCODED_WORD_OVERHEAD) / 4) * 3;
  const encoder = new TextEncoder();
  const words: string[] = [];
  // Too narrow a first line for even one character: start the value on a folded line.
  let prefix = '';
  let maxBytes = bytesFor(firstLineRoom);
  if (maxBytes < 4) { prefix = FOLD; maxBytes = bytesFor(MAX_LINE - 1); }
  let chunk: number[] = [];
  // for..of walks code points, so a surrogate pair stays whole (a lone surrogate encodes as U+FFFD).
  for (const char of text) {
    const bytes = encoder.encode(char);
    if (chunk.length + bytes.length > maxBytes && chunk.length > 0) {
      words.push(encodedWord(chunk));
      chunk = [];
      maxBytes = bytesFor(MAX_LINE - 1);
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) words.push(encodedWord(chunk));
  return prefix + words.join(FOLD);
}

function encodedWord(bytes: number[]): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/**
 * An address header: as it is when ASCII (CR/LF flattened), else with a non-ASCII display name
 * (`Name <addr>`) encoded; the address itself is never encoded (RFC 2047 §5 forbids it).
 */
function addressValue(value: string, name: string): string {
  const line = value.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  const match = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^"<]*?))\s*(<[\x21-\x7e]*>)\s*$/.exec(line);
  const display = match?.[1]?.replace(/\\(.)/g, '$1') ?? match?.[2];
  if (!match || !display || /^[\x20-\x7e]*$/.test(display)) return line;
  return `${encodedWords(display, MAX_LINE - `${name}: `.length)}${FOLD}${match[3]}`;
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function mimeMessage(options: MimeOptions): Promise<string> {
  const hash = await digestHex(`${options.id} ${options.to}`);
  const boundary = `bun-apm-${hash}`;
  // The domain of the address, also in `Name <addr@domain>`.
  const domain = /@([^\s<>"@]+)/.exec(options.from)?.[1] ?? 'bun-apm.invalid';
  const headers: Array<[string, string]> = [
    ['From', addressValue(options.from, 'From')],
    ['To', addressValue(options.to, 'To')],
    ['Subject', headerValue(options.content.subject, 'Subject')],
    ['Date', new Date(options.date).toUTCString().replace('GMT', '+0000')],
    ['Message-ID', `<${hash}@${domain}>`],
    ['MIME-Version', '1.0'],
    ...Object.entries(options.headers ?? {}).map(([name, value]): [string, string] => [name, headerValue(value, name)]),
    // Folded: on one line it would pass 78 characters.
    ['Content-Type', `multipart/alternative;${FOLD}boundary="${boundary}"`],
  ];
  const part = (type: string, body: string) => [
    `--${boundary}`,
    `Content-Type: ${type}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Utf8(body),
  ].join('\r\n');
  return [
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    part('text/plain', options.content.text),
    part('text/html', options.content.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
