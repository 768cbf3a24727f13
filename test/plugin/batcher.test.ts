// The batcher against a real local sink: bounded pending bytes with the oldest dropped and the
// loss reported in the next delivered batch, one export in flight, and batches split to the limits.
import { afterAll, describe, expect, test } from 'bun:test';
import { LIMITS } from '../../src/core/wire-format.ts';
import { Batcher } from '../../src/plugin/batcher.ts';
import { createEdgeSender } from '../../src/plugin/edge-sender.ts';
import { processIdentity } from '../../src/plugin/identity.ts';
import { createLog } from '../../src/plugin/log.ts';
import { freePort } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { testRecorder } from './support/recorder.ts';

const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(sinks.map((sink) => sink.stop()));
});

const identity = processIdentity('batcher-test', 'api');
const quiet = createLog(false, () => {});

function setup(endpoint: string, ingestKey: string, maxPendingBytes = 16 * 1024 * 1024) {
  const { recorder } = testRecorder({ sampleRate: 1 });
  const batcher = new Batcher({
    recorder,
    identity,
    flushIntervalMs: 60_000,
    maxPendingBytes,
    send: createEdgeSender({ endpoint, ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 1_000 }),
    log: quiet,
  });
  const serve = (n: number, prefix: string) => {
    for (let i = 0; i < n; i++) recorder.respond(recorder.begin(new Request(`http://h/${prefix}/${i}`, { headers: { 'user-agent': 'x'.repeat(200) } }))!, new Response());
  };
  return { recorder, batcher, serve };
}

describe('Batcher', () => {
  test('edge down: pending bytes stay within the bound, the oldest go, and the loss arrives with the next batch', async () => {
    const port = freePort();
    const sink = new IngestSink();
    sinks.push(sink);
    const { batcher, serve } = setup(`http://127.0.0.1:${port}`, sink.ingestKey, 4096);
    let cuts = 0;
    for (let round = 0; round < 20; round++) {
      serve(20, `r${round}`);
      await batcher.flush(); // connection refused: the batch stays queued
      cuts++;
      expect(batcher.pendingBytes).toBeLessThanOrEqual(4096);
    }
    expect(batcher.hasPending).toBe(true);
    expect(batcher.droppedTotal.samples).toBeGreaterThan(0);

    sink.start(port);
    await batcher.flush();
    // That flush's own cut may push the oldest out once more; their loss travels in the batch after.
    await batcher.flush();
    expect(batcher.hasPending).toBe(false);
    expect(sink.problems).toEqual([]);
    const reported = sink.batches.reduce((sum, batch) => sum + batch.dropped.samples, 0);
    const delivered = sink.batches.reduce((sum, batch) => sum + batch.samples.length, 0);
    expect(reported).toBe(batcher.droppedTotal.samples);
    expect(delivered + reported).toBe(20 * 20); // every sample either arrived or is accounted for
  });

  test('at most one export in flight, and every attempt of a batch carries the same body', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const bodies = new Map<string, Set<string>>();
    const slow = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(request) {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const body = Buffer.from(await request.arrayBuffer()).toString('base64');
        const id = (JSON.parse(new TextDecoder().decode(Bun.gunzipSync(Buffer.from(body, 'base64')))) as { batchId: string }).batchId;
        const seen = bodies.get(id) ?? new Set<string>();
        seen.add(body);
        bodies.set(id, seen);
        await Bun.sleep(20);
        concurrent--;
        return new Response(null, { status: 202 });
      },
    });
    try {
      const { batcher, serve } = setup(`http://127.0.0.1:${slow.port}`, 'k');
      const flushes: Promise<void>[] = [];
      for (let i = 0; i < 5; i++) {
        serve(5, `f${i}`);
        flushes.push(batcher.flush()); // called while the previous export is still running
      }
      await Promise.all(flushes);
      await batcher.idle();
      expect(maxConcurrent).toBe(1);
      expect(batcher.delivered).toBe(5);
      for (const seen of bodies.values()) expect(seen.size).toBe(1);
    } finally {
      slow.stop(true);
    }
  });

  test('more rollup cells than one batch may carry: split into valid batches, none lost', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const { recorder } = testRecorder({ sampleRate: 0, routeCap: 100_000 });
    const batcher = new Batcher({
      recorder,
      identity,
      flushIntervalMs: 60_000,
      maxPendingBytes: 64 * 1024 * 1024,
      send: createEdgeSender({ endpoint: sink.url, ingestKey: sink.ingestKey, sdkVersion: 'test' }, { maxAttempts: 1 }),
      log: quiet,
    });
    const cells = LIMITS.rollups + 1_500;
    // Distinct templates (as a router would name them), so each request opens its own cell.
    for (let i = 0; i < cells; i++) {
      const state = recorder.begin(new Request(`http://h/r${i}`))!;
      state.routerRoute = `/route-${i}`;
      recorder.respond(state, new Response());
    }
    await batcher.flush();
    expect(sink.problems).toEqual([]);
    expect(sink.stored.size).toBe(2);
    expect(sink.count()).toBe(cells);
  });
});
