// A review's repro: run-together secret names (`apitoken`, `x-sessiontoken`) and a password inside a URL
// value (`dsn=https://u:pw@host`) had reached getRecentSpans(), and so the trace page and every exporter, raw.
import { afterEach, expect, test } from 'bun:test';
import { requestTracer, type TraceSpan } from '../../src/middleware/index.ts';
import { Router } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function spanOf(url: string, headers: Record<string, string>): Promise<TraceSpan> {
  const tracer = requestTracer({ sampleRate: 1, includeHeaders: true, includeQueryParams: true });
  closers.push(tracer.close);
  const router = new Router().use(tracer);
  router.get('/users/:id', () => new Response('ok'));
  await router.fetch(new Request(url, { headers }));
  const span = tracer.getRecentSpans().find((s) => s.kind === 'server');
  if (!span) throw new Error('no server span');
  return span;
}

test('run-together lowercase secret names in the query and headers are redacted', async () => {
  const span = await spanOf('http://app.test/users/1?apitoken=SEKRIT1&authkey=SEKRIT2&sessiontoken=SEKRIT3&bearer=SEKRIT4&passcode=SEKRIT5&webhooktoken=SEKRIT6&page=2', {
    'x-apitoken': 'SEKRIT7', 'x-authkey': 'SEKRIT8', 'x-sessiontoken': 'SEKRIT9', 'x-bearer': 'SEKRIT10', 'x-passcode': 'SEKRIT11', 'x-privatetoken': 'SEKRIT12',
  });
  for (const name of ['apitoken', 'authkey', 'sessiontoken', 'bearer', 'passcode', 'webhooktoken']) expect(span.tags[`http.query.${name}`]).toBe('[REDACTED]');
  for (const name of ['x-apitoken', 'x-authkey', 'x-sessiontoken', 'x-bearer', 'x-passcode', 'x-privatetoken']) expect(span.tags[`http.request.header.${name}`]).toBe('[REDACTED]');
  expect(span.tags['http.query.page']).toBe('2');
  expect(JSON.stringify(span)).not.toContain('SEKRIT');
});

test('the password of a scheme://user:pass@ URL in a query or header value is scrubbed; the rest is kept', async () => {
  const span = await spanOf(`http://app.test/users/1?dsn=${encodeURIComponent('https://u:SEKRIT10@sentry.io/1')}&next=https://example.com/a:b@c`, {
    'x-upstream': 'postgres://app:p@SEKRIT@db.internal:5432/main?sslmode=require',
    'x-mirror': 'ftp://anonymous@files.test/pub, http://files.test:8080/x',
  });
  expect(span.tags['http.query.dsn']).toBe('https://u:[REDACTED]@sentry.io/1');
  expect(span.tags['http.request.header.x-upstream']).toBe('postgres://app:[REDACTED]@db.internal:5432/main?sslmode=require');
  // No password in them: a user alone, a port, a colon and `@` in the path are not touched.
  expect(span.tags['http.request.header.x-mirror']).toBe('ftp://anonymous@files.test/pub, http://files.test:8080/x');
  expect(span.tags['http.query.next']).toBe('https://example.com/a:b@c');
  expect(JSON.stringify(span)).not.toContain('SEKRIT');
});

// The review of that fix: a header's name is lowercase (no camelCase to split), real names were still
// shown, a secret query inside a value (a Referer) was shown, and a password a URL parser would end
// early (`pa#ss`) was shown.
test('a secret query inside a value (a Referer, a return_to URL, a cookie-like list) is redacted; other parameters kept', async () => {
  const span = await spanOf(`http://app.test/users/1?return_to=${encodeURIComponent('https://app.example/cb?access_token=SEKRIT1&state=ok')}`, {
    referer: 'https://app.example/reset-password?token=SEKRIT2&lang=en',
    'x-prefs': 'theme=dark; sid=SEKRIT3; lang=en',
  });
  expect(span.tags['http.query.return_to']).toBe('https://app.example/cb?access_token=[REDACTED]&state=ok');
  expect(span.tags['http.request.header.referer']).toBe('https://app.example/reset-password?token=[REDACTED]&lang=en');
  expect(span.tags['http.request.header.x-prefs']).toBe('theme=dark; sid=[REDACTED]; lang=en');
  expect(JSON.stringify(span)).not.toContain('SEKRIT');
});

test.each([
  ['a # in the password', 'redis://:pa#SEKRIT@cache:6379/0', 'redis://:[REDACTED]@cache:6379/0'],
  ['a / in the password', 'postgres://app:pa/SEKRIT@db/x', 'postgres://app:[REDACTED]@db/x'],
  ['an @ in the password', 'mysql://app:p@SEKRIT@db/x', 'mysql://app:[REDACTED]@db/x'],
  ['two URLs apart', 'a://u:SEKRIT1@h1/x b://v:SEKRIT2@h2/y', 'a://u:[REDACTED]@h1/x b://v:[REDACTED]@h2/y'],
  ['a port and no password', 'http://files.test:8080/x?y=1', 'http://files.test:8080/x?y=1'],
])('a URL password in a value, %s', async (_name, given, expected) => {
  const span = await spanOf('http://app.test/users/1', { 'x-upstream': given });
  expect(span.tags['http.request.header.x-upstream']).toBe(expected);
});
