// The ids of the batches a store has taken, so a retried batch is stored once. Kept by received
// day: the key (day, id) is the row itself, one row written per batch and none for an index. A
// lookup probes each day the ids are kept for (a handful of index seeks); retention drops whole days.
// The first layout's `batches` table is still looked in until its rows expire.
import type { Sql } from './sql.ts';

const DAY_MS = 86_400_000;

const dayOf = (time: number) => Math.floor(time / DAY_MS);

/** How long ids are kept: the oldest data a batch may carry, and a day (a batch older than that is refused anyway). */
export const batchIdsKeptMs = (maxBatchAgeMs: number) => maxBatchAgeMs + DAY_MS;

/** When the batch was first received, or null if it is new. `keptMs`: how long ids are kept. */
export function receivedAt(sql: Sql, batchId: string, now: number, keptMs: number): number | null {
  const old = sql.exec<{ received_at: number }>('SELECT received_at FROM batches WHERE batch_id = ?', batchId).toArray()[0];
  if (old) return old.received_at;
  // Every day from the oldest kept to today (and tomorrow: a store clock moved back must still find it).
  const days: number[] = [];
  for (let day = dayOf(now - keptMs); day <= dayOf(now) + 1; day++) days.push(day);
  const found = sql.exec<{ received_at: number }>(
    `SELECT received_at FROM batch_ids WHERE day IN (${days.map(() => '?').join(', ')}) AND batch_id = ?`, ...days, batchId,
  ).toArray()[0];
  return found ? found.received_at : null;
}

export function rememberBatch(sql: Sql, batchId: string, now: number, instance: string, events: number): void {
  sql.exec('INSERT INTO batch_ids (day, batch_id, received_at, instance, events) VALUES (?, ?, ?, ?, ?)', dayOf(now), batchId, now, instance, events);
}

/** Forgets ids received before `cutoff` (whole days: an id may be kept up to a day longer); returns how many went. */
export function forgetBatchesBefore(sql: Sql, cutoff: number): number {
  return sql.exec('DELETE FROM batches WHERE received_at < ?', cutoff).rowsWritten
    + sql.exec('DELETE FROM batch_ids WHERE day < ?', dayOf(cutoff)).rowsWritten;
}

export function batchCount(sql: Sql): number {
  return sql.exec<{ n: number }>('SELECT (SELECT COUNT(*) FROM batches) + (SELECT COUNT(*) FROM batch_ids) AS n').one().n;
}
