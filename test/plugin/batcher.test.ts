// The batcher against a real local sink: bounded pending bytes with the oldest dropped and the
// loss reported in the next delivered batch, one export in flight, and batches split to the limits.
import { afterAll, describe, expect, test } from 'bun:test';
import { LIMITS, type Batch } from '../../src/core/wire-format.ts';
import { Batcher, type BatcherOptions } from '../../src/plugin/runtime/batcher.ts';
import { MERGE_BUDGET_CHARS } from '../../src/plugin/runtime/pending-detail.ts';
import { createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { freePort } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { testRecorder } from './support/recorder.ts';
import { waitFor } from './support/wait-for.ts';

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

/** A recorder at full detail wired to a batcher as the preload wires them (detail cuts on the batcher's timer), with a sink to send to. */
function fullDetail(wrap?: (edge: NonNullable<BatcherOptions['send']>) => BatcherOptions['send']) {
  const sink = new IngestSink();
  sinks.push(sink);
  sink.start();
  const edge = createEdgeSender({ endpoint: sink.url, ingestKey: sink.ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 5_000 });
  let batcher: Batcher | undefined;
  const { recorder } = testRecorder({ sampleRate: 1, onDetailFull: () => batcher?.requestDetailCut() });
  batcher = new Batcher({ recorder, identity, flushIntervalMs: 60_000, maxPendingBytes: 16 * 1024 * 1024, send: wrap?.(edge) ?? edge, log: quiet });
  return { sink, recorder, batcher };
}

describe('Batcher', () => {
  test('full detail on a busy app: detail is encoded a cut at a time and sent only in batches it fills; counts wait for the flush interval', async () => {
    const { sink, recorder, batcher } = fullDetail();
    const requests = 4_000;
    const paths = Array.from({ length: requests }, (_, i) => `/p/${i}`);
    for (let i = 0; i < requests; i++) {
      recorder.respond(recorder.begin(new Request(`http://h${paths[i]}`, { headers: { 'user-agent': 'x'.repeat(200) } }))!, new Response());
      if (i % 50 === 49) await Bun.sleep(0); // the app's event loop turns: detail cuts and sends run
    }
    await batcher.idle();
    const early = [...sink.batches];
    // Sent before the flush interval only as batches the detail filled: no cells in them, and on
    // average at least half a batch's budget of text each (a batch takes the whole cuts that fit).
    // A cut here (~88 KB) is under half the budget, so a batch holds at least two: at most 8 early
    // batches (5 to 8, as the records' lengths put two or three cuts in a budget). Sending one
    // batch per cut of 250, as before, made 16 of them here.
    const cuts = requests / 250;
    expect(early.length).toBeGreaterThanOrEqual(2);
    for (const batch of early) expect(batch.rollups).toEqual([]);
    const earlyChars = early.reduce((sum, batch) => sum + JSON.stringify(batch.samples).length, 0);
    expect(early.length).toBeLessThanOrEqual(Math.ceil(earlyChars / (MERGE_BUDGET_CHARS / 2)));
    expect(early.length).toBeLessThanOrEqual(cuts / 2);
    expect(sink.count()).toBe(0);

    await batcher.flush();
    await batcher.idle();
    expect(sink.problems).toEqual([]);
    expect(sink.batches.flatMap((batch) => batch.samples.map((sample) => sample.path))).toEqual(paths); // every record once, in order
    const allChars = sink.batches.reduce((sum, batch) => sum + JSON.stringify(batch.samples).length, 0);
    expect(allChars / cuts).toBeLessThan(MERGE_BUDGET_CHARS / 2); // the premise of the bound above
    expect(sink.count()).toBe(requests);
    batcher.stop();
  });

  test('a flush that meets an early export of full detail still sends everything it cut, once that export ends', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let sends = 0;
    // The first batch is held on its way: the early export is still running when the flush comes.
    const { sink, recorder, batcher } = fullDetail((edge) => async (batch) => {
      if (sends++ === 0) await gate;
      return edge(batch);
    });
    const paths: string[] = [];
    const serve = (n: number, prefix: string) => {
      for (let i = 0; i < n; i++) {
        paths.push(`/${prefix}/${i}`);
        recorder.respond(recorder.begin(new Request(`http://h/${prefix}/${i}`, { headers: { 'user-agent': 'x'.repeat(200) } }))!, new Response());
      }
    };
    serve(1_000, 'early'); // ~350 K of detail: more than a batch's worth
    batcher.cutDetail();
    expect(sends).toBe(1); // the early export has sealed its first batch and waits
    serve(10, 'late');
    const flushed = batcher.flush();
    open();
    await flushed;
    expect(batcher.pending.any).toBe(false);
    expect(sink.problems).toEqual([]);
    expect(sink.count()).toBe(1_010);
    expect(sink.batches.flatMap((batch) => batch.samples.map((sample) => sample.path))).toEqual(paths);
    batcher.stop();
  });

  test('a custom storage handler\'s failure is said redacted, on one line', async () => {
    const lines: string[] = [];
    const { recorder } = testRecorder({ sampleRate: 1 });
    const batcher = new Batcher({
      recorder,
      identity,
      flushIntervalMs: 60_000,
      maxPendingBytes: 16 * 1024 * 1024,
      send: async () => ({ ok: false, retryable: true, attempts: 1, reason: 'no edge in this test' }),
      customStorage: () => {
        throw new Error('write failed: mysql://root:S3cretPW@db/m password=hunter2\nbun-apm: forged');
      },
      log: createLog(false, (line) => lines.push(line)),
    });
    recorder.respond(recorder.begin(new Request('http://h/m/1'))!, new Response());
    await batcher.flush();
    batcher.stop();
    const said = lines.filter((line) => line.includes('customHandler failed'));
    expect(said.length).toBe(1);
    for (const secret of ['S3cretPW', 'hunter2', '\n']) expect(said[0]).not.toContain(secret);
  });

  test('custom storage gets records of its own: a handler that changes one in place reaches neither its neighbours nor the edge', async () => {
    const sink = new IngestSink();
    sinks.push(sink);
    sink.start();
    const stored: Batch[] = [];
    const { recorder } = testRecorder({ sampleRate: 1 });
    recorder.latestProfile = { timestamp: Date.now(), rss: 1_000, heapUsed: 200, heapTotal: 300, cpuPercent: 5, eventLoopLagMs: 0, inFlight: 0 };
    const batcher = new Batcher({
      recorder,
      identity,
      flushIntervalMs: 60_000,
      maxPendingBytes: 16 * 1024 * 1024,
      send: createEdgeSender({ endpoint: sink.url, ingestKey: sink.ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 5_000 }),
      customStorage: (batch) => {
        stored.push(batch);
        batch.samples[0]!.memoryUsage!.rss = -1; // e.g. a handler converting units in place
      },
      log: quiet,
    });
    for (let i = 0; i < 3; i++) recorder.respond(recorder.begin(new Request(`http://h/m/${i}`))!, new Response());
    await batcher.flush();
    const rss = (batches: Batch[]) => batches.flatMap((batch) => batch.samples.map((sample) => sample.memoryUsage?.rss));
    expect(rss(stored)).toEqual([-1, 1_000, 1_000]);
    expect(rss(sink.batches)).toEqual([1_000, 1_000, 1_000]);
    batcher.stop();
  });

  test('edge down: pending data returns within the bound, detail goes first, and every loss arrives with a later batch', async () => {
    const port = freePort();
    const sink = new IngestSink();
    sinks.push(sink);
    const { batcher, serve } = setup(`http://127.0.0.1:${port}`, sink.ingestKey, 4096);
    for (let round = 0; round < 20; round++) {
      serve(20, `r${round % 4}`);
      await batcher.flush(); // connection refused: everything stays pending
      // Merging runs in short steps on later turns: the bound holds once they are done.
      expect(await waitFor(() => batcher.pending.bytes <= 4096 || undefined, 5_000)).toBe(true);
    }
    expect(batcher.pending.any).toBe(true);
    expect(batcher.droppedTotal.samples).toBeGreaterThan(0);
    expect(batcher.droppedTotal.requests).toBe(0); // four routes' counts fit once merged
    expect(batcher.pending.requests).toBe(20 * 20);

    sink.start(port);
    for (let i = 0; i < 20 && batcher.pending.any; i++) await batcher.flush();
    expect(batcher.pending.any).toBe(false);
    expect(sink.problems).toEqual([]);
    const reported = sink.batches.reduce((sum, batch) => sum + batch.dropped.samples, 0);
    const delivered = sink.batches.reduce((sum, batch) => sum + batch.samples.length, 0);
    expect(reported).toBe(batcher.droppedTotal.samples);
    expect(delivered + reported).toBe(20 * 20); // every sample either arrived or is accounted for
    expect(sink.count()).toBe(20 * 20); // and every request arrived
  });

  test.each([
    ['did not store it', false],
    ['stored it but the answer was lost', true],
  ])('the batch being retried loses its detail under pressure and keeps its id: the edge %s, and counts are neither lost nor doubled', async (_, storeFirst) => {
    // An edge that stores each batch id once; during the outage it answers 503 to everything,
    // after storing the very first attempt when `storeFirst`.
    const stored = new Map<string, Batch>();
    const attempts: Array<{ id: string; samples: number }> = [];
    let down = true;
    const edge = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(request) {
        const batch = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await request.arrayBuffer())))) as Batch;
        attempts.push({ id: batch.batchId, samples: batch.samples.length });
        if (down && !(storeFirst && attempts.length === 1)) return new Response(null, { status: 503 });
        if (stored.has(batch.batchId)) return Response.json({ status: 'duplicate' }, { status: down ? 503 : 200 });
        stored.set(batch.batchId, batch);
        return Response.json({ status: 'accepted' }, { status: down ? 503 : 202 });
      },
    });
    try {
      const { batcher, serve } = setup(`http://127.0.0.1:${edge.port}`, 'k', 4_000);
      serve(5, 'first');
      await batcher.flush();
      const first = attempts[0]!;
      expect(first.samples).toBe(5);
      // More traffic on more routes, the edge still down: queued detail goes, then the retried batch's own.
      let served = 5;
      for (let round = 0; round < 40 && attempts.filter((a) => a.id === first.id).at(-1)!.samples > 0; round++) {
        serve(5, `more-${round}`);
        served += 5;
        await batcher.flush();
        expect(await waitFor(() => batcher.pending.bytes <= 4_000 || undefined, 5_000)).toBe(true);
      }
      const retried = attempts.filter((attempt) => attempt.id === first.id);
      expect(retried.length).toBeGreaterThan(2);
      expect(retried.at(-1)!.samples).toBe(0);

      down = false;
      for (let i = 0; i < 20 && batcher.pending.any; i++) await batcher.flush();
      expect(batcher.pending.any).toBe(false);
      const sum = (field: (batch: Batch) => number) => [...stored.values()].reduce((total, batch) => total + field(batch), 0);
      const counted = sum((batch) => batch.rollups.reduce((n, cell) => n + cell.count, 0));
      expect(counted + sum((batch) => batch.dropped.requests ?? 0)).toBe(served);
      expect(sum((batch) => batch.dropped.requests ?? 0)).toBe(batcher.droppedTotal.requests);
      expect(stored.get(first.id)!.samples).toHaveLength(storeFirst ? 5 : 0);
      const reported = sum((batch) => batch.dropped.samples);
      expect(reported).toBe(batcher.droppedTotal.samples);
      // Stripped detail is reported even when the full batch had arrived: an overcount of at most one batch.
      expect(sum((batch) => batch.samples.length) + reported).toBe(served + (storeFirst ? 5 : 0));
    } finally {
      edge.stop(true);
    }
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
        return Response.json({ accepted: true }, { status: 202 });
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
      // The first cut went alone; the four cut while it was in flight went together, in one request.
      expect(batcher.delivered).toBe(2);
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
