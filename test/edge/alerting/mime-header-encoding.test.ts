// The alert email's headers: a non-ASCII subject as RFC 2047 encoded words of whole UTF-8
// characters, each ≤ 75 characters, folded so that no header line passes 78 (RFC 5322 §2.1.1).
import { describe, expect, test } from 'bun:test';
import { simpleParser } from 'mailparser';
import { mimeMessage } from '../../../src/edge/alerting/mime-message.ts';

const ENCODED_WORD = /^=\?([^?]+)\?([BbQq])\?([^?]*)\?=$/;

/** Decodes one encoded word on its own: fatal UTF-8, so a split character fails the decode. */
function decodeWord(word: string): string {
  const match = ENCODED_WORD.exec(word);
  if (!match) throw new Error(`not an encoded word: ${word}`);
  const [, charset, encoding, text] = match as unknown as [string, string, string, string];
  expect(charset.toUpperCase()).toBe('UTF-8');
  let bytes: Uint8Array;
  if (encoding.toUpperCase() === 'B') {
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } else {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '_') out.push(0x20);
      else if (text[i] === '=') { out.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2; }
      else out.push(text.charCodeAt(i));
    }
    bytes = Uint8Array.from(out);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** A header's raw lines (the first with `Name: `) in a message. */
function headerLines(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const lines = head.split('\r\n');
  const start = lines.findIndex((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  expect(start).toBeGreaterThanOrEqual(0);
  let end = start + 1;
  while (end < lines.length && /^[ \t]/.test(lines[end]!)) end++;
  return lines.slice(start, end);
}

/** Unfolds and decodes a header value: plain text, or encoded words separated by whitespace. */
function decodeHeader(lines: string[], name: string): string {
  const value = lines.join('\r\n').replace(/\r\n(?=[ \t])/g, '').slice(name.length + 1).trim();
  const tokens = value.split(/[ \t]+/);
  if (!tokens.some((t) => ENCODED_WORD.test(t))) return value;
  // Whitespace between adjacent encoded words is not part of the text (RFC 2047 §6.2).
  for (const token of tokens) expect(token).toMatch(ENCODED_WORD);
  return tokens.map(decodeWord).join('');
}

async function messageWithSubject(subject: string, headers?: Record<string, string>, from = 'alerts@example.com'): Promise<string> {
  return mimeMessage({ from, to: 'ops@example.com', content: { subject, text: 'body', html: '<p>body</p>' }, date: 0, id: 'k1', headers });
}

function expectWithinLimits(raw: string): void {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  for (const line of head.split('\r\n')) {
    expect(line.length).toBeLessThanOrEqual(78);
    for (const word of line.match(/=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=/g) ?? []) expect(word.length).toBeLessThanOrEqual(75);
  }
}

const subjects: Array<[string, string]> = [
  ['CJK', '[FIRING] [critical] 結帳服務的回應時間過長，請立即檢查資料庫連線池與快取命中率'.repeat(2)],
  ['emoji (surrogate pairs and ZWJ sequences)', '🔥🚨 checkout 👨‍👩‍👧‍👦 p99 🐢'.repeat(8)],
  ['mixed scripts', '[RESOLVED] [warning] Größe café naïve — Ünïcödé 日本語 한국어 עברית العربية ✓ (app-1)'],
  ['one character', 'é'],
  ['one emoji', '😀'],
  ['500 characters', Array.from({ length: 500 }, (_, i) => [...'aé日😀'][i % 4]).join('')],
  ['500 emoji', '😀'.repeat(500)],
];

describe('mimeMessage: encoded headers', () => {
  for (const [label, subject] of subjects) {
    test(`a ${label} subject round-trips as encoded words within RFC 2047 and 5322 limits`, async () => {
      const raw = await messageWithSubject(subject);
      expectWithinLimits(raw);
      const lines = headerLines(raw, 'Subject');
      expect(decodeHeader(lines, 'Subject')).toBe(subject);
      expect((await simpleParser(raw)).subject).toBe(subject);
    });
  }

  test('a long non-ASCII subject is split into several folded encoded words', async () => {
    const subject = '結帳'.repeat(285);
    expect(subject.length).toBe(570);
    const lines = headerLines(await messageWithSubject(subject), 'Subject');
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
  });

  test('a lone surrogate is sent as U+FFFD, not split into a broken word', async () => {
    const raw = await messageWithSubject(`${'日'.repeat(13)}\ud83d${'日'.repeat(20)}`);
    expectWithinLimits(raw);
    expect(decodeHeader(headerLines(raw, 'Subject'), 'Subject')).toBe(`${'日'.repeat(13)}\ufffd${'日'.repeat(20)}`);
  });

  test('an ASCII subject stays as it is', async () => {
    const subject = '[FIRING] [critical] High Response Time (shop)';
    const raw = await messageWithSubject(subject);
    expect(raw).toContain(`\r\nSubject: ${subject}\r\n`);
  });

  test('CR/LF in a subject or an extra header stays flattened (no header injection)', async () => {
    for (const subject of ['Slow\r\nBcc: victim@example.com', 'Lent é\r\nBcc: victim@example.com'.repeat(5)]) {
      const raw = await messageWithSubject(subject, { 'X-Alert': 'x\r\nBcc: victim@example.com ü' });
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(head.split('\r\n').some((line) => /^bcc:/i.test(line))).toBe(false);
      expect((await simpleParser(raw)).headers.has('bcc')).toBe(false);
      expectWithinLimits(raw);
    }
  });

  test('an extra non-ASCII header with a long name still keeps its lines within 78', async () => {
    const name = `X-${'Long'.repeat(17)}`;
    const value = 'ünïcödé 日本語 😀'.repeat(10);
    const raw = await messageWithSubject('ok', { [name]: value, 'X-Note': 'é' });
    expectWithinLimits(raw);
    expect(decodeHeader(headerLines(raw, name), name)).toBe(value);
    expect(decodeHeader(headerLines(raw, 'X-Note'), 'X-Note')).toBe('é');
  });

  test('a non-ASCII display name in From is encoded, the address is not', async () => {
    const raw = await messageWithSubject('ok', undefined, 'Überwachung 監視 😀 <alerts@example.com>');
    expectWithinLimits(raw);
    const from = (await simpleParser(raw)).from?.value[0];
    expect(from?.name).toBe('Überwachung 監視 😀');
    expect(from?.address).toBe('alerts@example.com');
    expect(raw).toMatch(/\r\nMessage-ID: <[0-9a-f]{32}@example\.com>\r\n/);
  });
});
