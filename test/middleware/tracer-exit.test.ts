// A RequestTracer without the preload at the end of its process: the spans its exporters still hold
// are sent when the event loop runs dry and at process.exit(), and those that cannot be are counted
// on stderr (a review: all were lost without a word). Real processes, a stand-in OTLP collector.
import { afterAll, expect, test } from 'bun:test';
import { AppProcess, freePort, REPO } from '../plugin/support/app-process.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

const apps: AppProcess[] = [];
afterAll(async () => void (await Promise.all(apps.map((app) => app.kill()))));

/** Span names the collector received, in order. */
const received: string[] = [];
const collector = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: async (request) => {
    const body = (await request.json()) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Array<{ key: string; value: { stringValue?: string } }> }> }> }> };
    for (const resource of body.resourceSpans) {
      for (const scope of resource.scopeSpans) for (const span of scope.spans) received.push(span.attributes.find((a) => a.key === 'http.target')?.value.stringValue ?? '?');
    }
    return Response.json({});
  },
});
afterAll(() => collector.stop(true));

async function start(collectorUrl: string): Promise<AppProcess> {
  const port = freePort();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) env[key] = value;
  const child = Bun.spawn([process.execPath, 'test/middleware/tracer-exit-app.ts'], {
    cwd: REPO,
    env: { ...env, NO_COLOR: '1', PORT: String(port), COLLECTOR: collectorUrl },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, port);
  apps.push(app);
  const ready = await waitFor(() => (child.exitCode !== null ? 'exited' : app.fetch('/a').then((r) => r.text()).then(() => 'ready', () => undefined)), 15_000);
  if (ready !== 'ready') throw new Error(`the app did not start (${ready ?? 'timeout'}):\n${app.stderr}`);
  return app;
}

const collectorUrl = () => `http://127.0.0.1:${collector.port}`;

test.each(['/exit', '/stop'])('ended by %s: every span queued reaches the collector, and nothing is said', async (end) => {
  received.length = 0;
  const app = await start(collectorUrl());
  for (const path of ['/b', '/c']) await (await app.fetch(path)).text();
  await (await app.fetch(end)).text();
  await app.exited;
  expect(app.process.exitCode).toBe(0);
  // Was: [] (the batch waited for scheduledDelayMs, and the process ended first).
  expect(received.sort()).toEqual(['/a', '/b', '/c', end].sort());
  expect(app.stderr).toBe('');
}, 30_000);

test('ended by process.exit() with the collector down: the spans not delivered are counted on stderr', async () => {
  const down = freePort();
  const app = await start(`http://127.0.0.1:${down}`);
  await (await app.fetch('/b')).text();
  await (await app.fetch('/exit')).text();
  await app.exited;
  expect(app.stderr.split('\n').filter((line) => line.includes('span(s)'))).toEqual([
    expect.stringMatching(/^bun-apm: at exit, 3 span\(s\) of the trace exporters not delivered within 2000 ms: /),
  ]);
}, 30_000);

test('ended by the loop running dry with a collector that never answers: the process ends within the 2 s, counting what it gave up (a review: 12 s)', async () => {
  const hanging = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Promise<Response>(() => {}) });
  try {
    const app = await start(`http://127.0.0.1:${hanging.port}`);
    const from = performance.now();
    await (await app.fetch('/stop')).text();
    await app.exited;
    const took = performance.now() - from;
    expect(took).toBeLessThan(3_500);
    expect(app.stderr.split('\n').filter((line) => line.includes('span(s)'))).toEqual([
      expect.stringMatching(/^bun-apm: at exit, 2 span\(s\) of the trace exporters not delivered within 2000 ms \(.*\); given up$/),
    ]);
  } finally {
    hanging.stop(true);
  }
}, 30_000);
