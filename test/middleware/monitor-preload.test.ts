// The preload and the middleware in one real process: each request is counted once by the
// preload (what reaches the ingest sink) and once by the monitor, and the tracer continues the
// preload's trace instead of starting a second one.
import { afterAll, expect, test } from 'bun:test';
import { startApp, type AppProcess } from '../plugin/support/app-process.ts';
import { IngestSink } from '../plugin/support/ingest-sink.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

let app: AppProcess | undefined;
const sink = new IngestSink().start();
afterAll(async () => {
  await app?.kill();
  await sink.stop();
});

test('preload + performanceMonitor + requestTracer: one count per request, one trace', async () => {
  app = await startApp('../test/middleware/monitor-preload-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_SAMPLE_RATE: '0', BUN_APM_TRACE_SAMPLE_RATE: '1' },
  });
  const n = 60;
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(`/items/${i}`);
    const body = (await res.json()) as { traceId: string; spanId: string; child: string | null };
    // The preload's server span is the request's span; the handler's child hangs off it.
    expect(res.headers.get('traceparent')).toBe(`00-${body.traceId}-${body.spanId}-01`);
    expect(body.child).toMatch(/^[0-9a-f]{16}$/);
  }
  const stats = (await (await app.fetch('/stats')).json()) as { count: number; serverSpans: number };
  expect(stats.count).toBe(n);
  expect(stats.serverSpans).toBe(0); // the preload records server spans, the tracer only children
  const counted = await waitFor(() => (sink.count() === n + 1 ? true : undefined), 10_000);
  expect(sink.problems).toEqual([]);
  expect(counted).toBe(true);
  const spans = sink.batches.flatMap((b) => b.spans);
  expect(spans.filter((s) => s.kind === 'server').length).toBe(n + 1);
  // With no exporters of its own, the tracer's children went out with the preload's spans, under their server span.
  const servers = new Map(spans.filter((s) => s.kind === 'server').map((s) => [s.spanId, s]));
  const children = spans.filter((s) => s.name === 'work');
  expect(children.length).toBe(n);
  for (const child of children) expect(servers.get(child.parentSpanId!)?.traceId).toBe(child.traceId);
}, 30_000);
