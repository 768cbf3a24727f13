// Trace exporters at exit when something is in the way, in real processes under the preload with a
// collector and an edge standing in on 127.0.0.1: long headers on many small batches (the exit's child
// had failed to spawn, E2BIG, and the edge's request counts went with it), big spans (encoding had run
// past the budget, and most of what was lost went uncounted), and a batch waiting out a Retry-After
// (neither sent nor counted right).
import { afterAll, afterEach, expect, test } from 'bun:test';
import { freePort, startApp, type AppProcess, signalAndWait } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';
import { decodeJaegerBatch } from './exporters/support/jaeger-thrift-decoder.ts';

type Otlp = { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };

/** Span ids received by format, every arrival (duplicates kept). */
const received: Record<'zipkin' | 'otlp' | 'jaeger', string[]> = { zipkin: [], otlp: [], jaeger: [] };
let posts = 0;
/** Never answer (what came is recorded first). */
let hang = false;
/** Never answer, nor read what comes: tens of MB parsed here would slow this process's view of the exit. */
let hangUnread = false;
/** Answers for the next POSTs (429 with a Retry-After), before the default 200. */
let refuseNext = 0;
const collector = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  fetch: async (request) => {
    const path = new URL(request.url).pathname;
    posts++;
    if (hangUnread) return new Promise<Response>(() => {});
    const body = new Uint8Array(await request.arrayBuffer());
    if (refuseNext > 0) {
      refuseNext--;
      return new Response('later', { status: 429, headers: { 'retry-after': '600' } });
    }
    const answer = hang ? new Promise<Response>(() => {}) : Response.json({});
    if (path === '/api/v2/spans') received.zipkin.push(...(JSON.parse(new TextDecoder().decode(body)) as Array<{ id: string }>).map((span) => span.id));
    else if (path === '/v1/traces') {
      for (const resource of (JSON.parse(new TextDecoder().decode(body)) as Otlp).resourceSpans) for (const scope of resource.scopeSpans) received.otlp.push(...scope.spans.map((span) => span.spanId));
    } else if (path === '/api/traces') received.jaeger.push(...decodeJaegerBatch(body).spans.map((span) => span.spanId));
    else return new Response('not found', { status: 404 });
    return answer;
  },
});
const collectorUrl = `http://127.0.0.1:${collector.port}`;
const sink = new IngestSink('trouble-key').start();
const apps: AppProcess[] = [];
afterEach(() => {
  received.zipkin = [];
  received.otlp = [];
  received.jaeger = [];
  posts = 0;
  hang = false;
  hangUnread = false;
  refuseNext = 0;
  sink.stored.clear();
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await collector.stop(true);
  await sink.stop();
});

interface Served {
  app: AppProcess;
  /** Every span id the app made: server spans (traceparent) and children (the answers). */
  ids: string[];
}

async function serve(exporters: unknown[], env: Record<string, string>, n: number): Promise<Served> {
  const app = await startApp('../test/plugin/fixtures/exporters-trouble-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', EXPORTERS: JSON.stringify(exporters), ...env },
  });
  apps.push(app);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(`/work/${i}`);
    ids.push(...((await res.json()) as string[]), res.headers.get('traceparent')!.split('-')[2]!);
  }
  return { app, ids };
}

const sorted = (ids: readonly string[]) => [...ids].sort();
const exitLine = (app: AppProcess) => waitFor(() => /bun-apm: at exit, [^\n]*trace exporters[^\n]*/.exec(app.stderr)?.[0], 2000);

test('3 exporters, a 1.1 KB token, small batches: the edge gets every request count and each backend every span, once', async () => {
  const headers = { authorization: `Bearer ${'t'.repeat(1100)}` };
  const exporters = ['zipkin', 'otlp', 'jaeger'].map((type) => ({ type, endpoint: collectorUrl, headers, maxExportBatchSize: 5, scheduledDelayMs: 600_000 }));
  // The first batch of each exporter hangs on the wire, so the rest stay queued: 59 requests each at
  // exit, 177 in all, ~1.2 KB of URL and headers apiece.
  hang = true;
  const { app, ids } = await serve(exporters, { LEAVE: 'exit' }, 300);
  hang = false;
  const { code, ms } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2500);
  // Was 0: the child's environment passed 128 KiB in one variable, the spawn failed (E2BIG) and the edge's batches went with it.
  expect(await waitFor(() => (sink.count() === 300 ? 300 : undefined), 2000)).toBe(300);
  expect(app.stderr).not.toContain('final flush failed');
  // The hung batches' spans came (recorded on arrival), the others with the exit: each span once.
  for (const format of ['zipkin', 'otlp', 'jaeger'] as const) expect(sorted(received[format])).toEqual(sorted(ids));
  expect(await exitLine(app)).toBe('bun-apm: at exit, 15 span(s) of the trace exporters not delivered within 2000 ms: 15 cut off in flight (they may have arrived)');
}, 60_000);

test('a target too large to hand to the exit\'s child: its spans counted as not sent, the edge\'s counts and the other exporter\'s spans delivered', async () => {
  const exporters = [
    { type: 'zipkin', endpoint: collectorUrl, scheduledDelayMs: 600_000 },
    { type: 'otlp', endpoint: collectorUrl, scheduledDelayMs: 600_000 },
  ];
  const { app, ids } = await serve(exporters, { LEAVE: 'exit', HUGE_HEADER_KB: '140' }, 20);
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  // Was 0 requests at the edge and nothing at all sent: one variable of 140 KiB, E2BIG.
  expect(await waitFor(() => (sink.count() === 20 ? 20 : undefined), 2000)).toBe(20);
  expect(sorted(received.otlp)).toEqual(sorted(ids));
  expect(received.zipkin).toEqual([]);
  expect(await exitLine(app)).toBe("bun-apm: at exit, 20 span(s) of the trace exporters not delivered within 2000 ms: 20 not sent: their URL and headers pass the exit's child's 64 KiB");
}, 60_000);

test('big spans queued for two exporters, a collector that hangs: the exit stays within the budget and every span is counted', async () => {
  hangUnread = true;
  // 1 request: its server span and 2000 children of 64 tags x 1 KB (128 MB), queued for otlp and zipkin.
  const exporters = ['otlp', 'zipkin'].map((type) => ({ type, endpoint: collectorUrl }));
  const { app, ids } = await serve(exporters, { LEAVE: 'exit', CHILDREN: '2000', TAGS: '64', TAG_BYTES: '1000', TIMING: '1' }, 1);
  expect(ids).toHaveLength(2001);
  await Bun.sleep(300);
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  const [, ms, before, after] = (await waitFor(() => /TIMING exit (\d+) ms, rss (\d+) -> (\d+) MB/.exec(app.stderr), 2000))!.map(Number);
  // Was 3-4.4 s and 190 -> 940 MB: every batch encoded, in both formats, before the child started.
  expect(ms).toBeLessThan(2300);
  expect(after! - before!).toBeLessThan(300);
  const line = await exitLine(app);
  // Was "30 span(s)": only those the child had read by the deadline were counted.
  expect(line).toStartWith('bun-apm: at exit, 4002 span(s) of the trace exporters not delivered within 2000 ms: ');
  expect(line).toContain("not encoded within the exit's share for it");
}, 60_000);

test('process.exit() while a batch waits out a Retry-After: it goes with the exit flush, every span once', async () => {
  refuseNext = 1;
  const { app, ids } = await serve([{ type: 'zipkin', endpoint: collectorUrl }], { LEAVE: 'exit', CHILDREN: '599' }, 1);
  // The first 512 went at once and were refused (429, Retry-After: 600); the other 88 wait behind them.
  expect(await waitFor(() => (posts === 1 ? 1 : undefined), 5000)).toBe(1);
  await Bun.sleep(300);
  const { code, ms } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2500);
  // Was 88, and "512 cut off in flight (they may have arrived)".
  expect(sorted(received.zipkin)).toEqual(sorted(ids));
  expect(app.stderr).not.toContain('not delivered');
}, 60_000);

test('SIGTERM (no handler of the app\'s) while a batch waits out a Retry-After: woken, it is sent again, and the rest behind it', async () => {
  refuseNext = 1;
  const { app, ids } = await serve([{ type: 'zipkin', endpoint: collectorUrl }], { LEAVE: 'none', CHILDREN: '599' }, 1);
  expect(await waitFor(() => (posts === 1 ? 1 : undefined), 5000)).toBe(1);
  await Bun.sleep(300);
  const { code, ms } = await signalAndWait(app, 'SIGTERM');
  expect(code).toBe('SIGTERM');
  // Was the full budget (2 s) and 0 of 600 delivered.
  expect(ms).toBeLessThan(1500);
  expect(sorted(received.zipkin)).toEqual(sorted(ids));
  expect(app.stderr).not.toContain('not delivered');
}, 60_000);

test('a collector down: an exit with nothing in the way still counts each span once', async () => {
  const { app, ids } = await serve([{ type: 'otlp', endpoint: `http://127.0.0.1:${freePort()}` }], { LEAVE: 'exit', CHILDREN: '4' }, 5);
  expect(ids).toHaveLength(25);
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(await exitLine(app)).toBe('bun-apm: at exit, 25 span(s) of the trace exporters not delivered within 2000 ms: 25 refused or failed');
  expect(sink.count()).toBe(5);
}, 60_000);
