// What the app gives the tracer itself (found by a review of the packed package): addTag's values,
// addLog's message and fields and finish's error message were stored, exported and shown exactly
// as given, while the same text in a thrown error was redacted. They go through the same redaction,
// and a tag or field named like a secret (as a header is) is redacted whole. Through a real Bun
// server, the spans as getRecentSpans shows them and as an OTLP collector on 127.0.0.1 receives them.
import { afterEach, expect, test } from 'bun:test';
import { compose, requestTracer, type TraceSpan } from '../../src/middleware/index.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A stand-in OTLP/HTTP collector: the raw JSON bodies it received. */
function collector(): { url: string; bodies: string[] } {
  const bodies: string[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request) => {
      bodies.push(await request.text());
      return Response.json({});
    },
  });
  closers.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}`, bodies };
}

const SECRETS = ['hunter2', 'plainsecret', 'sk_live_abcdefghijklmnop1234', 'abc123', 'Bearer xyz', 'k-123', ':pw@', '4242'];

test('tag values, tags named like a secret, log messages and fields, and finish\'s error are redacted on the span kept and exported', async () => {
  const otlp = collector();
  const tracer = requestTracer({ sampleRate: 1, exporters: [{ type: 'otlp', endpoint: otlp.url, scheduledDelayMs: 50 }] });
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: compose([tracer], (req) => {
      const child = tracer.createChildSpan(req.spanId!, 'db')!;
      tracer.addTag(child, 'db.statement', "update users set password = 'hunter2'");
      tracer.addTag(child, 'token', 'plainsecret');
      tracer.addTag(child, 'k', 'sk_live_abcdefghijklmnop1234');
      tracer.addTag(child, 'authorization', 'Bearer xyz');
      tracer.addTag(child, 'pin', 4242);
      tracer.addTag(child, 'request', { user: 'ada', apiKey: 'k-123' });
      tracer.addTag(child, 'cause', new Error('connect postgres://app:pw@db:5432/x'));
      tracer.addTag(child, 'user.id', 'ada');
      tracer.addTag(child, 'rows', 3);
      tracer.addTag(child, 'cache.hit', true);
      tracer.addLog(child, 'warn', 'retry with token=abc123', { password: 'hunter2', attempt: 2, dsn: 'https://u:pw@h/x' });
      tracer.finish(child, 'error', 'token=abc123');
      return new Response('ok');
    }),
  });
  closers.push(() => server.stop(true), tracer.close);

  expect(await (await fetch(`http://127.0.0.1:${server.port}/orders`)).text()).toBe('ok');
  await tracer.flush();
  const child = tracer.getRecentSpans().find((s) => s.name === 'db') as TraceSpan;
  expect(child.tags).toEqual({
    'db.statement': "update users set password = '[REDACTED]'",
    token: '[REDACTED]',
    k: '[REDACTED]',
    authorization: '[REDACTED]',
    pin: '[REDACTED]',
    request: '{"user":"ada","apiKey":"[REDACTED]"}',
    cause: 'Error: connect postgres://app:[REDACTED]@db:5432/x',
    'user.id': 'ada',
    rows: 3,
    'cache.hit': true,
  });
  expect(child.logs.map(({ level, message, fields }) => ({ level, message, fields }))).toEqual([
    { level: 'warn', message: 'retry with token=[REDACTED]', fields: { password: '[REDACTED]', attempt: 2, dsn: 'https://u:[REDACTED]@h/x' } },
  ]);
  expect([child.status, child.error]).toEqual(['error', 'token=[REDACTED]']);

  // The collector got the same span, with none of the secrets.
  const exported = await waitFor(() => (otlp.bodies.join('\n').includes(child.spanId) ? otlp.bodies.join('\n') : undefined), 5000);
  expect(exported).toContain('token=[REDACTED]');
  expect(SECRETS.filter((secret) => exported!.includes(secret))).toEqual([]);
});

test('a secret straddling a log message\'s or a tag\'s length limit is redacted, not cut into a part that shows', async () => {
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(tracer.close);
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: compose([tracer], (req) => {
      const child = tracer.createChildSpan(req.spanId!, 'long')!;
      // The key starts 10 characters before the cut: cut first, its remaining `sk_live_ab` no longer looks like a key.
      tracer.addTag(child, 'note', `${'n'.repeat(1_013)} sk_live_abcdefghijklmnop1234`);
      tracer.addLog(child, 'info', `${'m'.repeat(2_037)} sk_live_abcdefghijklmnop1234`);
      tracer.finish(child);
      return new Response('ok');
    }),
  });
  closers.push(() => server.stop(true));
  await fetch(`http://127.0.0.1:${server.port}/`);
  const child = tracer.getRecentSpans().find((s) => s.name === 'long')!;
  expect(child.tags.note).toBe(`${'n'.repeat(1_013)} [REDACTED]`);
  expect(child.logs[0]!.message).toBe(`${'m'.repeat(2_037)} [REDACTED]`);
});

test('hostile tag values (brackets, auth schemes, long runs of closers) are redacted in time that grows with their length', async () => {
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(tracer.close);
  const width = 4 * 1_024; // as much of a tag's value as its redaction reads
  const fill = (unit: string) => unit.repeat(Math.ceil(width / unit.length)).slice(0, width);
  const hostile = [
    '('.repeat(100) + 'token=' + ')'.repeat(width),
    fill(`${'('.repeat(95)}token=a${')'.repeat(95)} `),
    fill('token=Bearer '),
    fill('auth=Bearer%20'),
    '(token=' + fill(',.'),
    fill('a (b=1 (token=x))) '),
  ];
  let elapsed = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: compose([tracer], (req) => {
      const child = tracer.createChildSpan(req.spanId!, 'hostile')!;
      const started = performance.now();
      for (let round = 0; round < 20; round++) hostile.forEach((value, i) => tracer.addTag(child, `note.${i}`, value));
      elapsed = performance.now() - started;
      tracer.addTag(child, 'sample', 'retry (auth=Bearer abc123) then [password=hunter2], done');
      tracer.finish(child);
      return new Response('ok');
    }),
  });
  closers.push(() => server.stop(true));
  await fetch(`http://127.0.0.1:${server.port}/`);
  const child = tracer.getRecentSpans().find((s) => s.name === 'hostile')!;
  expect(child.tags.sample).toBe('retry (auth=[REDACTED]) then [password=[REDACTED]], done');
  // 120 values of 4 KB take tens of milliseconds; a step per pair of characters would take seconds.
  expect(elapsed).toBeLessThan(1_500);
});

test('a token in the request path is redacted in http.target and the span name; a matrix session id leaves the route (a review)', async () => {
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(() => tracer.close());
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: compose([tracer], () => new Response('ok')) });
  closers.push(() => server.stop(true));
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstuv';
  for (const path of ['/hook/ghp_abcdefghijklmnopqrstuvwxyz0123456789/x', `/reset/${jwt}`, '/login;jsessionid=SESSJ42', '/cart;sid=SESSK77/items', '/relay/hooks.slack.com/services/T00000000/B00000000/bHJ8kP2sQw9ZxY4mN6vT1cRa', '/go/https://u:pa,ss@db.example.com/x']) {
    await (await fetch(`http://127.0.0.1:${server.port}${path}`)).text();
  }
  const spans = tracer.getRecentSpans().filter((span) => span.kind === 'server');
  expect(spans.map((span) => [span.tags['http.target'], span.tags['http.route'], span.name])).toEqual([
    ['/hook/[REDACTED]/x', '/hook/:id/x', 'GET /hook/:id/x'],
    ['/reset/[REDACTED]', '/reset/:id', 'GET /reset/:id'],
    ['/login;jsessionid=[REDACTED]', '/:id', 'GET /:id'],
    // The segments after a redacted value stay (`/items` had gone with it).
    ['/cart;sid=[REDACTED]/items', '/:id/items', 'GET /:id/items'],
    // What spans segments is redacted over the whole path (per segment alone, a review found these shown).
    ['/relay/hooks.slack.com/services/[REDACTED]', expect.any(String), expect.any(String)],
    ['/go/https://u:[REDACTED]@db.example.com/x', expect.any(String), expect.any(String)],
  ]);
  const shown = JSON.stringify(spans);
  for (const secret of ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', jwt, 'SESSJ42', 'SESSK77', 'bHJ8kP2sQw9ZxY4mN6vT1cRa', 'pa,ss']) expect(shown).not.toContain(secret);
});
