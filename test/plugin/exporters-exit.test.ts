// Trace exporters at the process's end, under the preload, with a real OTLP collector stand-in on
// 127.0.0.1: the spans queued (scheduledDelayMs 5000 by default, so none went yet) arrive on
// process.exit() and on an app's own SIGTERM handler that calls it, and a RequestTracer's own
// exporters are flushed on SIGTERM too; within the 2 s budget, and said on stderr when they cannot.
import { afterAll, afterEach, expect, test } from 'bun:test';
import { freePort, startApp, type AppProcess, signalAndWait } from './support/app-process.ts';
import { OtlpCollector } from '../support/otlp-collector.ts';
import { writeConfig } from './support/config-file.ts';
import { waitFor } from './support/wait-for.ts';

const collector = new OtlpCollector();
const collectorUrl = collector.url;
const apps: AppProcess[] = [];
afterEach(() => collector.reset());
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await collector.stop();
});

const otlpConfig = (endpoint: string) => writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: '${endpoint}' }] };`);

/** Starts the app, makes `n` requests; returns the span ids the responses name (traceparent): the server spans. */
async function serve(env: Record<string, string>, n = 10): Promise<{ app: AppProcess; ids: string[] }> {
  const app = await startApp('../test/plugin/fixtures/exporters-exit-app.ts', { env: { BUN_APM_TRACE_SAMPLE_RATE: '1', BUN_APM_SERVICE: 'exit-svc', ...env } });
  apps.push(app);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await app.fetch(`/work/${i}`);
    await res.text();
    ids.push(res.headers.get('traceparent')!.split('-')[2]!);
  }
  // The exporter's delay (5 s) is far off: nothing has gone yet.
  await Bun.sleep(300);
  expect(collector.received.size).toBe(0);
  return { app, ids };
}

test('process.exit(): the preload exporter\'s queued spans arrive, once, within the budget', async () => {
  const { app, ids } = await serve({ LEAVE: 'exit', BUN_APM_CONFIG: otlpConfig(collectorUrl) });
  const { code, ms } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2500);
  // Was 0 of 10: the exit flushed the edge alone.
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
  expect(collector.duplicates).toBe(0);
  expect(app.stderr).not.toContain('not delivered');
}, 30_000);

test("the app's own SIGTERM handler (server.stop(); process.exit(0)): the spans arrive", async () => {
  const { app, ids } = await serve({ LEAVE: 'handler', BUN_APM_CONFIG: otlpConfig(collectorUrl) });
  const { code, ms } = await signalAndWait(app, 'SIGTERM');
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2500);
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
}, 30_000);

test('process.exit() with the collector down: one stderr line counts the spans not delivered, no URL in it', async () => {
  const { app } = await serve({ LEAVE: 'exit', BUN_APM_CONFIG: otlpConfig(`http://user:s3cret@127.0.0.1:${freePort()}`) });
  const { code, ms } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2500);
  const line = await waitFor(() => /bun-apm: at exit, [^\n]*trace exporters[^\n]*/.exec(app.stderr)?.[0], 2000);
  expect(line).toStartWith('bun-apm: at exit, 10 span(s) of the trace exporters not delivered within 2000 ms: 10 refused or failed');
  expect(app.stderr).not.toContain('s3cret');
  expect(app.stderr.match(/trace exporters not delivered/g)).toHaveLength(1);
}, 30_000);

test('process.exit() with a collector that never answers: the exit still ends within the budget, the spans named as unanswered', async () => {
  collector.hang = true;
  const { app } = await serve({ LEAVE: 'exit', BUN_APM_CONFIG: otlpConfig(collectorUrl) });
  const { code, ms } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect(ms).toBeGreaterThan(1500);
  expect(ms).toBeLessThan(3000);
  const line = await waitFor(() => /bun-apm: at exit, [^\n]*trace exporters[^\n]*/.exec(app.stderr)?.[0], 2000);
  expect(line).toContain('10 span(s) of the trace exporters not delivered within 2000 ms: 10 sent but unanswered');
}, 30_000);

test("SIGTERM under the preload: a RequestTracer's own exporter is flushed too, within the budget", async () => {
  const { app, ids } = await serve({ LEAVE: 'none', TRACER_ENDPOINT: collectorUrl, TRACER_SERVICE: 'tracer-svc' });
  const { code, ms } = await signalAndWait(app, 'SIGTERM');
  expect(code).toBe('SIGTERM');
  expect(ms).toBeLessThan(2500);
  // Was 0 of 10 (dead of it in 72 ms): the preload's shutdown knew only its own exporters.
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
  expect(new Set(collector.received.values())).toEqual(new Set(['tracer-svc']));
}, 30_000);

test("process.exit() under the preload: a RequestTracer's own exporter's spans go with the final send", async () => {
  const { app, ids } = await serve({ LEAVE: 'exit', TRACER_ENDPOINT: collectorUrl, TRACER_SERVICE: 'tracer-svc' });
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
  expect(collector.duplicates).toBe(0);
}, 30_000);

test("the preload's and a RequestTracer's exporters name one backend differently (a trailing slash): each span arrives once", async () => {
  const { app, ids } = await serve({ LEAVE: 'exit', BUN_APM_CONFIG: otlpConfig(collectorUrl), TRACER_ENDPOINT: `${collectorUrl}/`, TRACER_SERVICE: 'tracer-svc' });
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
  // Was 10: both POSTed every span to the same /v1/traces, the endpoints compared as text.
  expect(collector.duplicates).toBe(0);
  expect(new Set(collector.received.values())).toEqual(new Set(['exit-svc']));
}, 30_000);

test('two RequestTracers shipping to one collector (one endpoint with a trailing slash): each span arrives once', async () => {
  const { app, ids } = await serve({ LEAVE: 'exit', TRACER_ENDPOINT: collectorUrl, TRACER2_ENDPOINT: `${collectorUrl}/`, TRACER_SERVICE: 'tracer-svc' });
  const { code } = await signalAndWait(app, 'SIGUSR2');
  expect(code).toBe(0);
  expect([...collector.received.keys()].sort()).toEqual([...ids].sort());
  // Was 10: each tracer kept a copy of the preload's server span and sent it.
  expect(collector.duplicates).toBe(0);
}, 30_000);
