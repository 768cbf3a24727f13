// An outage longer than the pending bound, in process: the batcher against a real local sink that
// is down for OUTAGE_MINUTES simulated minutes (default 10; the recorder's clock is moved a minute
// at a time through its wallOffset, six 10-second cuts per minute, as the preload cuts them). Detail
// must go before any count; counts must survive, merged; what cannot is reported in requests.
import { afterAll, describe, expect, test } from 'bun:test';
import { MINUTE_MS } from '../../src/core/rollup.ts';
import { Batcher } from '../../src/plugin/runtime/batcher.ts';
import { createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { freePort } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { testRecorder } from './support/recorder.ts';
import { waitFor } from './support/wait-for.ts';

const MINUTES = Number(process.env.OUTAGE_MINUTES ?? 10);
const CUTS_PER_MINUTE = 6;
const ROUTES = ['/users/:id', '/users', '/orders/:id', '/health', '/search', '/cart', '/login', '/checkout'];
const STATUSES = [200, 200, 200, 201, 404, 500];

const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((sink) => sink.stop()));
});

interface Outcome {
  served: number;
  sampled: number;
  sink: IngestSink;
  batcher: Batcher;
  /** pendingDetail when requests were first lost (undefined if none were). */
  detailAtFirstLoss: number | undefined;
  worstPendingBytes: number;
  /** The widest window cells were merged into, minutes. */
  widest: number;
}

/** Serves `perCut` requests per cut over `routes` for `MINUTES` simulated minutes with the edge down, then brings it back. */
async function outage(maxPendingBytes: number, routes: string[], perCut: number): Promise<Outcome> {
  const port = freePort();
  const sink = new IngestSink();
  sinks.push(sink);
  const { recorder } = testRecorder({ sampleRate: 1, routeCap: 10_000 });
  const batcher = new Batcher({
    recorder,
    identity: processIdentity('outage-test', 'api'),
    flushIntervalMs: 60_000,
    maxPendingBytes,
    send: createEdgeSender({ endpoint: `http://127.0.0.1:${port}`, ingestKey: sink.ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 1_000 }),
    log: createLog(false, () => {}),
  });
  // Simulated minutes end now, so the sink (which checks times like the edge) takes them.
  const first = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTES * MINUTE_MS;
  let served = 0;
  let sampled = 0;
  let detailAtFirstLoss: number | undefined;
  let worstPendingBytes = 0;
  let widest = 1;
  for (let minute = 0; minute < MINUTES; minute++) {
    for (let cut = 0; cut < CUTS_PER_MINUTE; cut++) {
      recorder.wallOffset = first + minute * MINUTE_MS + cut * 10_000 - performance.now();
      for (let i = 0; i < perCut; i++) {
        const state = recorder.begin(new Request(`http://app/r${i}`, { headers: { 'user-agent': `agent ${i % 7}` } }))!;
        state.routerRoute = routes[(i + minute) % routes.length];
        recorder.respond(state, new Response(null, { status: STATUSES[i % STATUSES.length] }));
        served++;
        if (state.sampled) sampled++;
      }
      await batcher.flush(); // refused: the edge is down
      // Relief runs in short steps on later turns; the bound holds once they are done.
      expect(await waitFor(() => batcher.pending.bytes <= maxPendingBytes || undefined, 10_000)).toBe(true);
      worstPendingBytes = Math.max(worstPendingBytes, batcher.pending.bytes);
      widest = Math.max(widest, batcher.pending.widestWindow);
      if (detailAtFirstLoss === undefined && batcher.droppedTotal.requests > 0) detailAtFirstLoss = batcher.pending.detailRecords;
      // Every request is in what is pending or in what was counted as lost: never neither.
      expect(batcher.pending.requests + batcher.droppedTotal.requests).toBe(served);
    }
  }
  sink.start(port);
  for (let i = 0; i < 100 && batcher.pending.any; i++) await batcher.flush();
  expect(batcher.pending.any).toBe(false);
  expect(sink.problems).toEqual([]);
  return { served, sampled, sink, batcher, detailAtFirstLoss, worstPendingBytes, widest };
}

const reported = (sink: IngestSink, field: 'requests' | 'samples' | 'rollups') => sink.batches.reduce((sum, batch) => sum + (batch.dropped[field] ?? 0), 0);

describe(`an outage of ${MINUTES} simulated minutes`, () => {
  test('30 KB bound (the issue\'s): detail is dropped, every request is still counted at the edge', async () => {
    const { served, sampled, sink, batcher, worstPendingBytes, widest } = await outage(30_000, ROUTES, 100);
    expect(worstPendingBytes).toBeLessThanOrEqual(30_000);
    expect(batcher.droppedTotal.samples).toBeGreaterThan(0);
    expect(batcher.droppedTotal.requests).toBe(0);
    expect(sink.count()).toBe(served);
    expect(reported(sink, 'requests')).toBe(0);
    // The detail that did not arrive is reported, record for record.
    const delivered = sink.batches.reduce((sum, batch) => sum + batch.samples.length, 0);
    expect(reported(sink, 'samples')).toBe(batcher.droppedTotal.samples);
    expect(delivered + reported(sink, 'samples')).toBe(sampled);
    console.log(`30 KB, ${MINUTES} min: ${served} requests all counted; ${batcher.droppedTotal.samples} of ${sampled} samples dropped; widest window ${widest} min; longest relief step ${batcher.pending.longestReliefMs.toFixed(2)} ms`);
  }, 120_000);

  test('a bound too small even for merged counts: the oldest go first, after all detail, and the edge is told exactly how many requests', async () => {
    // Many distinct routes every minute, so that cells stay many even once windows widen.
    const many = Array.from({ length: 60 }, (_, i) => `/tenant-${i}/items/:id`);
    const { served, sink, batcher, detailAtFirstLoss } = await outage(4_096, many, 120);
    expect(batcher.droppedTotal.requests).toBeGreaterThan(0);
    expect(detailAtFirstLoss).toBe(0); // no detail was left when the first count had to go
    expect(reported(sink, 'requests')).toBe(batcher.droppedTotal.requests);
    expect(sink.count() + reported(sink, 'requests')).toBe(served);
    expect(reported(sink, 'rollups')).toBeGreaterThan(0);
    console.log(`4 KB, ${MINUTES} min: ${sink.count()} of ${served} requests counted, ${reported(sink, 'requests')} reported missing; longest relief step ${batcher.pending.longestReliefMs.toFixed(2)} ms`);
  }, 120_000);
});
