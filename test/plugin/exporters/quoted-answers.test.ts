// A backend's words in bun-apm's warnings, from a hostile collector on 127.0.0.1: one printable
// line (no forged `bun-apm:` line, no terminal escapes), cut short, without the headers' values.
import { afterEach, expect, test } from 'bun:test';
import { createOtlpExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { sendWithRetry } from '../../../src/plugin/runtime/send-with-retry.ts';
import { quoteAnswer } from '../../../src/plugin/runtime/log.ts';
import { makeSpans } from './support/spans.ts';

const AUTH = 'Bearer SECRET-TOKEN-123';
const EVIL = (auth: string) => `denied\n\x1b[2J\x1b[31mbun-apm: FAKE all good, token=${auth}, again ${auth.split(' ')[1]}\x1b[0m\r\n\u2028\x9b2J${'x'.repeat(5000)}`;

let stop: (() => Promise<void>) | undefined;
afterEach(async () => void (await stop?.()));

function hostile(answer: (auth: string) => Response): string {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => answer(req.headers.get('authorization') ?? '') });
  stop = () => server.stop(true);
  return `http://127.0.0.1:${server.port}`;
}

function expectQuotedSafely(line: string): void {
  expect(line).toContain('denied');
  expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028]/);
  expect(line).not.toContain('SECRET');
  expect(line.length).toBeLessThan(400);
}

/** The one warning an OTLP exporter writes for a batch this collector answers. */
async function warningFor(answer: (auth: string) => Response): Promise<string> {
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: hostile(answer), serviceName: 's', headers: { authorization: AUTH }, log: (line) => lines.push(line) });
  exporter.export(makeSpans(3));
  await exporter.flush();
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

test('a refusal whose body forges a line, clears the screen and echoes the token', async () => {
  expectQuotedSafely(await warningFor((auth) => new Response(EVIL(auth), { status: 400 })));
});

test('a partial success whose errorMessage does the same', async () => {
  expectQuotedSafely(await warningFor((auth) => Response.json({ partialSuccess: { rejectedSpans: 1, errorMessage: EVIL(auth) } })));
});

test("the edge's sender (sendWithRetry) quotes a refusal the same way", async () => {
  const url = hostile((auth) => new Response(EVIL(auth), { status: 403 }));
  const outcome = await sendWithRetry(url, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{}' });
  expect(outcome.ok).toBe(false);
  expectQuotedSafely((outcome as { reason: string }).reason);
});

// Every part of a header sent is redacted, in the forms a backend echoes it; harmless headers are not.
test.each<[answer: string, sent: Record<string, string>, quoted: string]>([
  ['invalid key "my secret phrase", phrase unknown', { 'x-api-key': 'my secret phrase' }, 'invalid key "<redacted>", <redacted> unknown'],
  ['no sid abcdef123 (theme=dark-mode)', { cookie: 'sid=abcdef123; theme=dark-mode' }, 'no sid <redacted> (theme=<redacted>)'],
  ['token abcdef123456 revoked', { 'x-a': 'abcdef', 'x-b': 'abcdef123456' }, 'token <redacted> revoked'],
  ['token abc%2Fdef%2Bghi invalid', { 'x-api-key': 'abc/def+ghi' }, 'token <redacted> invalid'],
  ['{"error":"token tok\\/with\\/slash bad"}', { authorization: 'Bearer tok/with/slash' }, '{"error":"token <redacted> bad"}'],
  ['{"error":"key my\\"quoted\\"key bad"}', { 'x-api-key': 'my"quoted"key' }, '{"error":"key <redacted> bad"}'],
  ['bad auth Basic dXNlcjpzM2NyZXQ= for user:s3cret, s3cret wrong', { authorization: 'Basic dXNlcjpzM2NyZXQ=' }, 'bad auth <redacted> for <redacted>, <redacted> wrong'],
  ['invalid Bearer token', { authorization: 'Bearer abcdef123456' }, 'invalid Bearer token'],
  // Found by a review: a password that is not ASCII, base64 of its UTF-8.
  ['wrong password pässwörd1', { authorization: `Basic ${Buffer.from('user:pässwörd1').toString('base64')}` }, 'wrong password <redacted>'],
  ['unsupported media type, send application/json', { accept: 'application/json', 'content-type': 'application/x-protobuf', 'user-agent': 'bun-apm/1.0' }, 'unsupported media type, send application/json'],
  ['key abc12 invalid', { 'x-api-key': 'abc12' }, 'key abc12 invalid'],
])('quoteAnswer(%j, %j) is %j', (answer, sent, quoted) => expect(quoteAnswer(answer, sent)).toBe(quoted));

test('an API key of several words echoed URL-encoded and JSON-escaped by a collector is not in the warning', async () => {
  const key = 'my secret/phrase';
  const url = hostile(() => new Response(`denied ${encodeURIComponent(key)} ${JSON.stringify(key).replaceAll('/', '\\/')} ${key.split(' ')[0]}-${key}`, { status: 401 }));
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: url, serviceName: 's', headers: { 'x-api-key': key }, log: (line) => lines.push(line) });
  exporter.export(makeSpans(1));
  await exporter.flush();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('denied <redacted> "<redacted>" my-<redacted>');
  expect(lines[0]).not.toMatch(/secret|phrase/);
});

test("an endpoint's user info and query values are redacted when a collector echoes the request (fetch sends the user info as Basic)", async () => {
  const server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch: (req) => new Response(`denied: authorization=${req.headers.get('authorization')} url=${req.url}`, { status: 403 }),
  });
  stop = () => server.stop(true);
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: `http://u:SECRET-userinfo@127.0.0.1:${server.port}/?token=SECRET-query`, serviceName: 's', log: (line) => lines.push(line) });
  exporter.export(makeSpans(2));
  await exporter.flush();
  expect(lines).toHaveLength(1);
  // Independently: what the collector saw, each form of which must be gone from the line.
  const basic = btoa('u:SECRET-userinfo');
  expect(lines[0]).toContain('denied');
  for (const secret of ['SECRET', basic, basic.replace(/=+$/, '')]) expect(lines[0]).not.toContain(secret);
});

test('a redirect is named by where it points (scheme, host and path only), and not followed', async () => {
  const posts: string[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch: (req) => (posts.push(new URL(req.url).pathname), new Response(null, { status: 301, headers: { location: 'https://edge.example/v1/ingest?token=SECRET-in-location' } })),
  });
  stop = () => server.stop(true);
  const outcome = await sendWithRetry(`http://127.0.0.1:${server.port}/v1/ingest`, { method: 'POST', headers: { authorization: AUTH }, body: '{}' });
  expect(outcome.ok).toBe(false);
  expect((outcome as { reason: string }).reason).toBe(`HTTP 301 from http://127.0.0.1:${server.port}/v1/ingest: redirects to https://edge.example/v1/ingest (not followed: set the endpoint to where it points)`);
  expect(posts).toEqual(['/v1/ingest']);
});
