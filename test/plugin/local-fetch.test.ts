// A fetch of a data:, file: or blob: URL from a traced request is no call to another service: it
// gets no client span (its span had been named "GET nulltext/plain;base64,…", the data URL's
// payload in its name and URL) and no traceparent; an HTTP fetch beside it is traced as before,
// its URL's path redacted as a traced request's is (a key in it had gone out as it was: a review).
import { afterAll, expect, test } from 'bun:test';
import { startApp } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
const seen: Array<string | null> = [];
const downstream = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => (seen.push(request.headers.get('traceparent')), new Response('downstream')) });
afterAll(async () => {
  downstream.stop(true);
  await sink.stop();
});

// A provider-marked key as a segment, as an app calling an API with the key in its path.
const KEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';

test('only the HTTP fetch of a traced request has a client span; the others read as without the preload', async () => {
  const app = await startApp('../test/plugin/fixtures/local-fetch-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACE_SAMPLE_RATE: '1', DOWNSTREAM_URL: `${downstream.url.href}work/${KEY}` },
  });
  const response = await app.fetch('/');
  const texts = (await response.json()) as string[];
  expect([texts[0], texts[1]!.slice(0, 20), texts[2], texts[3]]).toEqual(['secret-token', '// An app whose hand', 'from a blob', 'downstream']);
  app.process.kill('SIGTERM');
  await app.exited;
  const spans = sink.batches.flatMap((batch) => batch.spans);
  const server = spans.find((span) => span.kind === 'server');
  const clients = spans.filter((span) => span.kind === 'client');
  expect(clients.map((span) => [span.name, span.tags['http.url'], span.parentSpanId])).toEqual([
    [`GET ${downstream.url.host}`, `${downstream.url.href}work/[REDACTED]`, server!.spanId],
  ]);
  expect(JSON.stringify(sink.batches)).not.toContain(KEY);
  expect(seen.length).toBe(1);
  expect(seen[0]).toContain(server!.traceId);
}, 30_000);
