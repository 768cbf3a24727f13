// The preload and the middleware in one real process: each request is counted once by the
// preload (what reaches the ingest sink) and once by the monitor; the tracer continues the
// preload's trace instead of starting a second one, and each backend gets whole traces; the
// in-process dashboard's own requests are the app's traffic for neither.
import { afterAll, expect, test } from 'bun:test';
import type { TraceSpan } from '../../src/middleware/index.ts';
import { startApp, type AppProcess } from '../plugin/support/app-process.ts';
import { IngestSink } from '../plugin/support/ingest-sink.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

let app: AppProcess | undefined;
const sink = new IngestSink().start();
afterAll(async () => {
  await app?.kill();
  await sink.stop();
});

test('preload + monitor + tracer + dashboard: one count per app request, whole traces in both backends, the dashboard not counted', async () => {
  app = await startApp('../test/middleware/monitor-preload-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_SAMPLE_RATE: '0', BUN_APM_TRACE_SAMPLE_RATE: '1' },
  });
  const n = 60;
  const dashboardRequests = 7;
  const traces = new Map<string, { spanId: string; child: string }>();
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(`/items/${i}?colour=c${i}`, { headers: { 'x-request-tag': `t${i}` } });
    const body = (await res.json()) as { traceId: string; spanId: string; child: string | null };
    // The preload's server span is the request's span; the handler's child hangs off it.
    expect(res.headers.get('traceparent')).toBe(`00-${body.traceId}-${body.spanId}-01`);
    expect(body.child).toMatch(/^[0-9a-f]{16}$/);
    traces.set(body.traceId, { spanId: body.spanId, child: body.child! });
    // The dashboard's polling between them, answered (signed in) and refused alike.
    if (i < dashboardRequests) {
      const page = await app.fetch(i % 2 === 0 ? '/performance/data/summary' : '/performance/', { headers: i % 3 === 0 ? {} : { 'x-api-key': 'dashboard-key-0123456789' } });
      expect(page.status).toBeLessThan(500);
      await page.arrayBuffer();
    }
  }
  const stats = (await (await app.fetch('/stats')).json()) as { count: number; exported: TraceSpan[]; recent: TraceSpan[] };
  expect(stats.count).toBe(n);

  // The tracer's own exporter: every trace whole, the server span the preload's, with the tracer's capture tags.
  const tracerServers = stats.exported.filter((s) => s.kind === 'server');
  expect(tracerServers.length).toBe(n);
  for (const [traceId, { spanId, child }] of traces) {
    const server = tracerServers.find((s) => s.traceId === traceId)!;
    expect(server.spanId).toBe(spanId);
    const i = Number(String(server.tags['http.target']).slice('/items/'.length));
    expect(server.tags['http.query.colour']).toBe(`c${i}`);
    expect(server.tags['http.request.header.x-request-tag']).toBe(`t${i}`);
    expect(server.tags['http.status_code']).toBe(200);
    expect(JSON.parse(String(server.tags['http.response.body']))).toEqual({ traceId, spanId, child });
    const children = stats.exported.filter((s) => s.traceId === traceId && s.kind !== 'server');
    expect(children.map((s) => [s.spanId, s.parentSpanId])).toEqual([[child, spanId]]);
  }
  // Its recent spans (the in-process Traces panel) show the requests, not only their children.
  expect(stats.recent.filter((s) => s.kind === 'server').length).toBe(n);

  // The preload's sink: the app's n requests and /stats, never the dashboard's.
  const counted = await waitFor(() => (sink.count() === n + 1 ? true : undefined), 10_000);
  expect(sink.problems).toEqual([]);
  expect(counted).toBe(true);
  const spans = sink.batches.flatMap((b) => b.spans);
  const servers = new Map(spans.filter((s) => s.kind === 'server').map((s) => [s.spanId, s]));
  expect(servers.size).toBe(n + 1);
  expect([...servers.values()].filter((s) => String(s.tags['http.target']).startsWith('/performance'))).toEqual([]);
  // The children went out with the preload's spans too, under their server spans, once each.
  const children = spans.filter((s) => s.name === 'work');
  expect(children.length).toBe(n);
  for (const child of children) expect(servers.get(child.parentSpanId!)?.traceId).toBe(child.traceId);
  expect(servers.get(traces.values().next().value!.spanId)?.tags['http.query.colour']).toBe('c0');
}, 30_000);
