// Callers' sampled traces an instance passes on unsampled (past BUN_APM_PARENT_TRACES_PER_SECOND)
// reach the edge as `dropped.parentTraces`, but only once the edge's answer says it takes them: an
// older edge validates strictly and would refuse the whole batch. Real app, real preload, real sink;
// the refusals are counted independently from the responses' traceparent flags.
import { afterAll, describe, expect, test } from 'bun:test';
import { parseTraceparent } from '../../src/core/trace-context.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

/** Sends `count` requests that continue a caller's sampled trace; returns how many the app passed on unsampled. */
async function continueTraces(app: AppProcess, count: number): Promise<number> {
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const traceId = (i + 1).toString(16).padStart(32, 'a');
    const response = await app.fetch('/users/1', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await response.arrayBuffer();
    const answered = parseTraceparent(response.headers.get('traceparent'));
    expect(answered?.traceId).toBe(traceId);
    if (!answered!.sampled) refused++;
  }
  return refused;
}

async function run(accepts: string[] | undefined): Promise<{ sink: IngestSink; refused: number }> {
  const sink = new IngestSink().start();
  sink.accepts = accepts;
  sinks.push(sink);
  const app = await startApp('routes-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_PARENT_TRACES_PER_SECOND: '2' },
  });
  apps.push(app);
  // A first batch teaches the client what the sink takes; then the traffic.
  await app.fetch('/health');
  const deadline = Date.now() + 10_000;
  while (sink.batches.length === 0 && Date.now() < deadline) await Bun.sleep(50);
  const refused = await continueTraces(app, 200);
  app.process.kill('SIGTERM');
  await app.exited;
  return { sink, refused };
}

describe("callers' sampled traces passed on unsampled", () => {
  test('an edge that takes them gets their exact count', async () => {
    const { sink, refused } = await run(['dropped.parentTraces', 'something.else']);
    // Premise: the cap (2/s) refused most of 200 sent in well under a few seconds, and took some.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(200);
    expect(sink.problems).toEqual([]);
    expect(sink.batches.reduce((sum, batch) => sum + (batch.dropped.parentTraces ?? 0), 0)).toBe(refused);
    expect(sink.count()).toBe(201);
  }, 30_000);

  test('an edge that does not say so never sees the field, and gets every count', async () => {
    const { sink, refused } = await run(undefined);
    expect(refused).toBeGreaterThan(100);
    expect(sink.problems).toEqual([]);
    expect(sink.batches.every((batch) => !('parentTraces' in batch.dropped))).toBe(true);
    expect(sink.count()).toBe(201);
  }, 30_000);
});
