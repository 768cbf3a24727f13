// How often an exporter speaks about a backend in trouble, against a real collector on 127.0.0.1:
// once per outage and kind of trouble, whatever the backend's words, and again for the next outage
// if a minute has passed since the last line (a flapping backend had written one per batch).
import { afterAll, afterEach, expect, test } from 'bun:test';
import { compose, requestTracer } from '../../../src/middleware/index.ts';
import { createOtlpExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { startApp, type AppProcess } from '../support/app-process.ts';
import { writeConfig } from '../support/config-file.ts';
import { waitFor } from '../support/wait-for.ts';
import { makeSpans } from './support/spans.ts';

/** A collector whose answer the test sets; counts the requests. */
function collector(answer: (n: number) => Response) {
  let requests = 0;
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: async (req) => (await req.arrayBuffer(), answer(++requests)) });
  return { url: `http://127.0.0.1:${server.port}`, requests: () => requests, stop: () => server.stop(true) };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => void (await Promise.all(stops.splice(0).map((stop) => stop()))));
const apps: AppProcess[] = [];
afterAll(async () => void (await Promise.all(apps.map((app) => app.kill()))));

test('partial successes with a new message each time: one warning until a clean success, then one again a minute on', async () => {
  let clean = false;
  let clock = 0;
  const backend = collector((n) => Response.json(clean ? {} : { partialSuccess: { rejectedSpans: 1, errorMessage: `rejected #${n} ${crypto.randomUUID()}` } }));
  stops.push(backend.stop);
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: backend.url, serviceName: 's', log: (line) => lines.push(line), now: () => clock });
  const send = async (batches: number) => {
    for (let i = 0; i < batches; i++) {
      exporter.export(makeSpans(2));
      await exporter.flush();
    }
  };
  await send(20);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('rejected #1 ');
  clean = true;
  await send(1);
  clean = false;
  await send(2);
  expect(lines).toHaveLength(1);
  clock = 61_000;
  await send(3);
  expect(backend.requests()).toBe(26);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain('rejected #24 ');
  expect(exporter.dropped).toBe(25);
});

// The second outage comes within a minute of the first line, so it is not written. Keyed by their text
// (b251975) the warnings gave one line here too; re-armed by every success (44a6ea3) they gave two.
test('a quick flap in the preload app (401, 200, 401) is reported once', async () => {
  let status = 401;
  const backend = collector(() => new Response(status === 200 ? '{}' : 'nope', { status }));
  stops.push(backend.stop);
  const config = writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: '${backend.url}', scheduledDelayMs: 20 }] };`);
  const app = await startApp('../test/plugin/fixtures/graceful-app.ts', { env: { BUN_APM_CONFIG: config, BUN_APM_TRACE_SAMPLE_RATE: '1' } });
  apps.push(app);
  // One request, so one span, per POST: the warnings' words are the same each time.
  for (const phase of [401, 401, 200, 200, 401, 401]) {
    status = phase;
    const posts = backend.requests() + 1;
    await (await app.fetch('/work/1')).text();
    expect(await waitFor(() => backend.requests() >= posts || undefined, 5000)).toBe(true);
  }
  await app.kill();
  expect(app.stderr.match(/HTTP 401/g)).toHaveLength(1);
}, 30_000);

// Two exporters to one collector write the same words: the tracer writes each exporter's line (keyed by
// text, as at b251975, it wrote one), and neither exporter its quick second outage (44a6ea3: four).
test('the explicit requestTracer writes the same words from two exporters, once each in a quick flap (401, 200, 401)', async () => {
  let status = 401;
  const backend = collector(() => new Response(status === 200 ? '{}' : 'nope', { status }));
  stops.push(backend.stop);
  const lines: string[] = [];
  const otlp = { type: 'otlp', endpoint: backend.url, scheduledDelayMs: 10 } as const;
  const tracer = requestTracer({ sampleRate: 1, log: (line) => lines.push(line), exporters: [otlp, otlp] });
  stops.push(() => tracer.close());
  const handler = compose([tracer], () => new Response('ok'));
  for (const phase of [401, 401, 200, 200, 401, 401]) {
    status = phase;
    const posts = backend.requests() + 2;
    await (await handler(new Request('http://app/work/1'))).text();
    expect(await waitFor(() => backend.requests() >= posts || undefined, 5000)).toBe(true);
  }
  const refused = lines.filter((line) => line.includes('HTTP 401'));
  expect(refused).toHaveLength(2);
  expect(refused[1]).toBe(refused[0]!);
});
