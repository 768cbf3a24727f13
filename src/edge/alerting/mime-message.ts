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

/** A header value on one line, encoded (RFC 2047) when it is not plain ASCII. */
function headerValue(value: string): string {
  const line = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(line) ? line : `=?UTF-8?B?${base64Utf8(line).replace(/\r\n/g, '')}?=`;
}

async function digestHex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function mimeMessage(options: MimeOptions): Promise<string> {
  const hash = await digestHex(`${options.id} ${options.to}`);
  const boundary = `bun-apm-${hash}`;
  const domain = options.from.split('@')[1] ?? 'bun-apm.invalid';
  const headers: Array<[string, string]> = [
    ['From', options.from],
    ['To', options.to],
    ['Subject', headerValue(options.content.subject)],
    ['Date', new Date(options.date).toUTCString().replace('GMT', '+0000')],
    ['Message-ID', `<${hash}@${domain}>`],
    ['MIME-Version', '1.0'],
    ...Object.entries(options.headers ?? {}).map(([name, value]): [string, string] => [name, headerValue(value)]),
    ['Content-Type', `multipart/alternative; boundary="${boundary}"`],
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
