// What the exit seals, in process: the request counts in batches of their own and first, the batch
// already tried with its id, detail after; detail not sealed in time, and anything dated past the
// edge's tolerance for the future, dropped and counted rather than lost or poisoning a batch.
import { expect, test } from 'bun:test';
import type { Batch } from '../../src/core/wire-format.ts';
import { Batcher } from '../../src/plugin/runtime/batcher.ts';
import { createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import type { PendingBatch } from '../../src/plugin/runtime/pending-data.ts';
import { freePort } from './support/app-process.ts';
import { testRecorder } from './support/recorder.ts';

const identity = processIdentity('final-seal-test', 'api');

/** A batcher whose edge is unreachable (nothing listens): what it sends stays pending. */
function setup() {
  const { recorder } = testRecorder({ sampleRate: 1 });
  const batcher = new Batcher({
    recorder,
    identity,
    flushIntervalMs: 60_000,
    maxPendingBytes: 16 * 1024 * 1024,
    send: createEdgeSender({ endpoint: `http://127.0.0.1:${freePort()}`, ingestKey: 'k', sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 1_000 }),
    log: createLog(false, () => {}),
  });
  const serve = (n: number, prefix: string) => {
    for (let i = 0; i < n; i++) recorder.respond(recorder.begin(new Request(`http://h/${prefix}/${i % 7}`, { headers: { 'user-agent': 'x'.repeat(200) } }))!, new Response());
  };
  return { recorder, batcher, serve };
}

const open = (batch: PendingBatch): Batch => JSON.parse(new TextDecoder().decode(Bun.gunzipSync(batch.body))) as Batch;
const detailIn = (batch: Batch) => batch.samples.length + batch.spans.length + batch.profiles.length;
const sum = (batches: Batch[], of: (batch: Batch) => number) => batches.reduce((n, batch) => n + of(batch), 0);
const requests = (batch: Batch) => batch.rollups.reduce((n, cell) => n + cell.count, 0);

test('the batch already tried first with its id, then counts-only batches, then detail only', async () => {
  const { batcher, serve } = setup();
  serve(30, 'a');
  await batcher.flush(); // unreachable: sealed, kept with its id
  const tried = batcher.pending.next()!;
  serve(40, 'b');
  batcher.cut();
  const sealed = batcher.sealAll();
  const batches = sealed.batches.map(open);
  // First, as sent before (it may have arrived: it starts at once, never left unsent and reported lost).
  expect(sealed.triedFirst).toBe(true);
  expect(batches[0]!.batchId).toBe(tried.batchId);
  expect(sealed.batches[0]!.body).toBe(tried.body);
  // Then counts only, then detail only: no request count waits behind detail.
  const firstDetail = batches.findIndex((batch, i) => i > 0 && batch.rollups.length === 0);
  expect(firstDetail).toBeGreaterThan(1);
  expect(batches.slice(1, firstDetail).every((batch) => batch.rollups.length > 0 && detailIn(batch) === 0)).toBe(true);
  expect(batches.slice(firstDetail).every((batch) => batch.rollups.length === 0 && detailIn(batch) > 0)).toBe(true);
  expect(sum(batches, requests)).toBe(70);
  expect(sum(batches, (batch) => batch.samples.length)).toBe(70);
  // The report the final send fills in: an empty batch with every counter at zero.
  expect(JSON.parse(sealed.report)).toMatchObject({ rollups: [], samples: [], dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0, requests: 0 } });
});

test('detail not sealed in time is dropped and counted in the counts batch; every request is still sealed', () => {
  const { batcher, serve } = setup();
  serve(40, 'c');
  batcher.cut();
  const batches = batcher.sealAll(0).batches.map(open);
  expect(batches.every((batch) => detailIn(batch) === 0)).toBe(true);
  expect(sum(batches, requests)).toBe(40);
  expect(sum(batches, (batch) => batch.dropped.samples)).toBe(40);
  expect(batcher.droppedTotal.samples).toBe(40);
});

test('cells and detail dated past the edge tolerance for the future are dropped and counted; the rest is sealed', () => {
  const { recorder, batcher, serve } = setup();
  serve(3, 'before');
  recorder.wallOffset += 10 * 60_000; // the clock stepped 10 minutes ahead
  serve(5, 'ahead');
  recorder.wallOffset -= 10 * 60_000; // and back
  serve(4, 'after');
  batcher.cut();
  const batches = batcher.sealAll().batches.map(open);
  const latest = Date.now() + 5 * 60_000;
  for (const batch of batches) {
    for (const cell of batch.rollups) expect(cell.minute).toBeLessThanOrEqual(latest);
    for (const sample of batch.samples) expect(sample.timestamp).toBeLessThanOrEqual(latest);
  }
  expect(sum(batches, requests)).toBe(7);
  expect(sum(batches, (batch) => batch.samples.length)).toBe(7);
  expect(sum(batches, (batch) => batch.dropped.requests ?? 0)).toBe(5);
  expect(sum(batches, (batch) => batch.dropped.samples)).toBe(5);
});
