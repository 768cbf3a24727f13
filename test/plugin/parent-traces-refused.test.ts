// Callers' sampled traces an instance passes on unsampled (past BUN_APM_PARENT_TRACES_PER_SECOND)
// reach the edge as `dropped.parentTraces`, but only once the edge's answer says it takes them: an
// older edge validates strictly and would refuse the whole batch. Real app, real preload, a real
// sink that is an older edge unless told to name the field; the refusals are counted independently,
// from the flags of the traceparent each response carries.
import { afterAll, describe, expect, test } from 'bun:test';
import { parseTraceparent } from '../../src/core/trace-context.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const TAKES_IT = ['dropped.parentTraces', 'something.else'];
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

let traces = 0;
/** Sends `count` requests that continue a caller's sampled trace; returns how many the app passed on unsampled. */
async function continueTraces(app: AppProcess, count: number): Promise<number> {
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const traceId = (++traces).toString(16).padStart(32, 'a');
    const response = await app.fetch('/users/1', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await response.arrayBuffer();
    const answered = parseTraceparent(response.headers.get('traceparent'));
    expect(answered?.traceId).toBe(traceId);
    if (!answered!.sampled) refused++;
  }
  return refused;
}

async function waitFor(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) await Bun.sleep(25);
  expect(done()).toBe(true);
}

/**
 * A sink and an app sending to it every 200 ms (or every `flushIntervalMs`), with a cap of 2
 * callers' traces a second; unless `firstBatch` is false, a first batch has taught the client what
 * the sink takes.
 */
async function start(accepts: string[] | undefined, { flushIntervalMs = 200, firstBatch = true } = {}): Promise<{ sink: IngestSink; app: AppProcess }> {
  const sink = new IngestSink().start();
  sink.accepts = accepts;
  sinks.push(sink);
  const app = await startApp('routes-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: String(flushIntervalMs), BUN_APM_PARENT_TRACES_PER_SECOND: '2' },
  });
  apps.push(app);
  if (firstBatch) {
    await app.fetch('/health');
    await waitFor(() => sink.batches.length > 0);
  }
  return { sink, app };
}

async function stop(app: AppProcess): Promise<void> {
  app.process.kill('SIGTERM');
  await app.exited;
}

const delivered = (sink: IngestSink) => sink.batches.reduce((sum, batch) => sum + (batch.dropped.parentTraces ?? 0), 0);

describe("callers' sampled traces passed on unsampled", () => {
  test('an edge that takes them gets their exact count', async () => {
    const { sink, app } = await start(TAKES_IT);
    const refused = await continueTraces(app, 200);
    await stop(app);
    // Premise: the cap (2/s) refused most of 200 sent in well under a few seconds, and took some.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(200);
    expect(sink.problems).toEqual([]);
    expect(delivered(sink)).toBe(refused);
    expect(sink.count()).toBe(201);
  }, 30_000);

  test('an older edge never sees the field and gets every request', async () => {
    const { sink, app } = await start(undefined);
    expect(await continueTraces(app, 200)).toBeGreaterThan(100);
    await stop(app);
    expect(sink.problems).toEqual([]);
    expect(sink.refusedAdditions).toBe(0);
    expect(sink.batches.every((batch) => !('parentTraces' in batch.dropped))).toBe(true);
    expect(sink.count()).toBe(201);
  }, 30_000);

  test('held while the edge is older, the count arrives whole once it is upgraded', async () => {
    const { sink, app } = await start(undefined);
    let refused = await continueTraces(app, 100);
    await Bun.sleep(500); // batches go out without it
    sink.accepts = TAKES_IT;
    await app.fetch('/health'); // an answer that names it
    await Bun.sleep(500);
    refused += await continueTraces(app, 100);
    await stop(app);
    expect(sink.refusedAdditions).toBe(0);
    expect(delivered(sink)).toBe(refused);
    expect(sink.count()).toBe(202);
  }, 30_000);

  test('an edge rolled back to an older version: the refused batch goes again without the field, no request lost', async () => {
    const { sink, app } = await start(TAKES_IT);
    const before = await continueTraces(app, 100);
    await waitFor(() => delivered(sink) === before);
    sink.accepts = undefined; // rolled back: refuses the field from now on
    const after = await continueTraces(app, 100);
    // The batch carrying the count is refused once, then goes again without it.
    await waitFor(() => sink.refusedAdditions === 1 && sink.count() === 201);
    expect(after).toBeGreaterThan(50);
    // More traffic, and the exit's last batches: the answers name nothing since, so nothing carries it.
    expect(await continueTraces(app, 100)).toBeGreaterThan(50);
    await stop(app);
    expect(sink.refusedAdditions).toBe(1);
    expect(sink.problems).toEqual([]);
    expect(delivered(sink)).toBe(before);
    expect(sink.count()).toBe(301);
    // Sent again under its own id: an edge that had stored it before the rollback would answer duplicate.
    const refusedIds = sink.attempts.filter((attempt) => attempt.status === 422).map((attempt) => attempt.batchId);
    expect(refusedIds).toHaveLength(1);
    expect(sink.stored.has(refusedIds[0]!)).toBe(true);
  }, 30_000);

  test('at exit, a count the edge said it takes goes in a batch of its own: refused by an edge rolled back since, it costs no request', async () => {
    const { sink, app } = await start(TAKES_IT);
    const before = await continueTraces(app, 20);
    await waitFor(() => delivered(sink) === before && sink.count() === 21);
    sink.accepts = undefined; // rolled back, and no answer says so before the exit
    const after = await continueTraces(app, 100);
    await stop(app);
    expect(after).toBeGreaterThan(50);
    expect(sink.refusedAdditions).toBe(1);
    expect(sink.count()).toBe(121);
    expect(delivered(sink)).toBe(before);
  }, 30_000);

  test("a process that exits before its first send reports the count if the exit's answer before it names it, and never to an older edge", async () => {
    for (const accepts of [TAKES_IT, undefined]) {
      // No flush before the exit, so no answer has come.
      const { sink, app } = await start(accepts, { flushIntervalMs: 600_000, firstBatch: false });
      const refused = await continueTraces(app, 60);
      expect(sink.attempts).toHaveLength(0);
      await stop(app);
      expect(refused).toBeGreaterThan(30);
      expect(sink.count()).toBe(60);
      expect(sink.refusedAdditions).toBe(0);
      expect(sink.problems).toEqual([]);
      expect(delivered(sink)).toBe(accepts ? refused : 0);
    }
  }, 30_000);
});
