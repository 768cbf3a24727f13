// The app stops its last server while a trace exporter's send is in flight to a slow collector
// (real, on 127.0.0.1): the final flush still delivers every span, within the 2 s budget.
import { afterAll, expect, test } from 'bun:test';
import { startApp, type AppProcess } from './support/app-process.ts';
import { writeConfig } from './support/config-file.ts';
import { waitFor } from './support/wait-for.ts';

/** Span ids of the requests answered (an aborted one's are not delivered). */
const spans = new Set<string>();
let posts = 0;
/** When each request came (performance.now()). */
const postedAt: number[] = [];
/** Requests to refuse with a 503 before answering again. */
let refuse = 0;
const slow = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 0,
  fetch: async (request) => {
    posts++;
    postedAt.push(performance.now());
    if (refuse > 0) {
      refuse--;
      return new Response('busy', { status: 503 });
    }
    const body = (await request.json()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };
    await Bun.sleep(300);
    if (!request.signal.aborted) for (const span of body.resourceSpans[0]!.scopeSpans[0]!.spans) spans.add(span.spanId);
    return Response.json({});
  },
});
const apps: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await slow.stop(true);
});

test('server.stop() during a send: the spans in flight and those queued behind them all arrive', async () => {
  const config = writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: 'http://127.0.0.1:${slow.port}' }] };`);
  const app = await startApp('../test/plugin/fixtures/graceful-app.ts', { env: { BUN_APM_CONFIG: config, BUN_APM_TRACE_SAMPLE_RATE: '1', BUN_APM_TRACES_PER_SECOND: '100000' } });
  apps.push(app);
  // 600 requests: a full batch of 512 goes at once, 88 wait behind it.
  for (let i = 0; i < 60; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => app.fetch(`/work/${i * 10 + j}`).then((r) => r.text())));
  expect(await waitFor(() => posts > 0 || undefined, 2000)).toBe(true);
  const from = Date.now();
  await (await app.fetch('/quit')).text();
  expect(await waitFor(() => app.process.exitCode ?? undefined, 5000)).toBe(0);
  expect(Date.now() - from).toBeLessThan(2500);
  // Was 0: the send in flight aborted, its retry asleep on an unref'd timer, the process ended.
  // And /quit's own span.
  await waitFor(() => spans.size >= 601 || undefined, 1000);
  expect(spans.size).toBe(601);
}, 30_000);

test('a retry during the final flush (503, then 200) is waited for, within the budget', async () => {
  spans.clear();
  const config = writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: 'http://127.0.0.1:${slow.port}', scheduledDelayMs: 600000, retry: { initialBackoffMs: 300 } }] };`);
  const app = await startApp('../test/plugin/fixtures/graceful-app.ts', { env: { BUN_APM_CONFIG: config, BUN_APM_TRACE_SAMPLE_RATE: '1' } });
  apps.push(app);
  for (let i = 0; i < 5; i++) await (await app.fetch(`/work/${i}`)).text();
  refuse = 1;
  const firstPost = postedAt.length;
  const from = Date.now();
  await (await app.fetch('/quit')).text();
  expect(await waitFor(() => app.process.exitCode ?? undefined, 5000)).toBe(0);
  expect(Date.now() - from).toBeLessThan(2500);
  // Was 0: the retry's unref'd wait was all that was left, and the process ended.
  await waitFor(() => spans.size >= 6 || undefined, 1000);
  expect([refuse, spans.size]).toEqual([0, 6]);
  // The retry waited (200 ms with no Retry-After): a 503 without one had been tried again at once.
  expect(postedAt[firstPost + 1]! - postedAt[firstPost]!).toBeGreaterThanOrEqual(150);
}, 30_000);
