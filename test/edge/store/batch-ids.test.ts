// A batch id is taken once: a retry (before or after the fold, after a restart, on the next day)
// is answered `duplicate` with when it first came, and its requests are counted once.
import { describe, expect, test } from 'bun:test';
import { batchCount, forgetBatchesBefore } from '../../../src/edge/store/batch-ids.ts';
import { foldBatches } from '../../../src/edge/store/fold.ts';
import { batchOf, MIN, requests, store, T0 } from './fixture.ts';

const DAY = 86_400_000;
const allRoutesCount = (s: ReturnType<typeof store>) =>
  s.sql.exec<{ n: number | null }>("SELECT SUM(count) AS n FROM rollup_minute WHERE method = '*'").one().n ?? 0;

function fold(s: ReturnType<typeof store>, now: number): void {
  s.sql.transaction(() => {
    foldBatches(s.target, s.log!.batches(), now);
    s.log!.markFolded();
  });
  s.log!.clear();
}

describe('batch ids', () => {
  test('a retried batch is stored once, whenever the retry comes', () => {
    const s = store();
    const first = requests(7, 40, T0, MIN);
    const other = requests(8, 25, T0, MIN);
    const batch = batchOf(first);
    const received = T0 + 2 * MIN;
    expect(s.ingest(batch, received)).toMatchObject({ status: 'accepted' });
    // Before the fold, after it, and on the next day (the id is kept by the day it came).
    expect(s.ingest(batch, received + 1_000)).toEqual({ status: 'duplicate', batchId: batch.batchId, receivedAt: received });
    fold(s, received + 2_000);
    expect(s.ingest(structuredClone(batch), received + 3_000)).toEqual({ status: 'duplicate', batchId: batch.batchId, receivedAt: received });
    expect(s.ingest(batch, received + DAY)).toMatchObject({ status: 'duplicate', receivedAt: received });
    // The same requests under another id are another batch.
    expect(s.ingest(batchOf(other), received + 4_000)).toMatchObject({ status: 'accepted' });
    fold(s, received + 5_000);
    expect(allRoutesCount(s)).toBe(first.length + other.length);
    expect(batchCount(s.sql)).toBe(2);
    expect(s.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM pending_batches').one().n).toBe(2);
  });

  test('a retry after a restart is still a duplicate: the ids are in the database, not in memory', () => {
    const a = store();
    const batch = batchOf(requests(9, 10, T0, MIN));
    a.ingest(batch, T0 + MIN);
    // A second store over the same database, as after an eviction.
    const b = store({ over: a });
    expect(b.log!.recover()).toEqual({ batches: 1, unreadable: 0 });
    expect(b.ingest(batch, T0 + 2 * MIN)).toMatchObject({ status: 'duplicate', receivedAt: T0 + MIN });
  });

  test('ids are forgotten by whole days once past what is kept; then the id is new again', () => {
    const s = store({ log: false });
    const batch = batchOf(requests(10, 5, T0, MIN));
    s.ingest(batch, T0 + MIN);
    expect(forgetBatchesBefore(s.sql, T0)).toBe(0);
    // A cutoff on the next day drops the whole day the id came on.
    expect(forgetBatchesBefore(s.sql, T0 + DAY)).toBe(1);
    expect(batchCount(s.sql)).toBe(0);
    expect(s.ingest(batch, T0 + DAY + MIN)).toMatchObject({ status: 'accepted' });
  });

  test('a first-layout id (the batches table) is found too', () => {
    const s = store({ log: false });
    const batch = batchOf(requests(11, 5, T0, MIN));
    s.sql.exec('INSERT INTO batches (batch_id, received_at, instance, events) VALUES (?, ?, ?, ?)', batch.batchId, T0 - MIN, 'host-a:1', 5);
    expect(s.ingest(batch, T0 + MIN)).toEqual({ status: 'duplicate', batchId: batch.batchId, receivedAt: T0 - MIN });
    expect(allRoutesCount(s)).toBe(0);
  });
});
