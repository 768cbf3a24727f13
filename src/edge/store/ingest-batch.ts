// Writes one validated batch in one transaction: stored once per batch id, routes and instances
// through their caps, rollup cells merged into 10-second rows, minutes (and hours already rolled up).
import { mergeInto, minuteOf } from '../../core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { base64ToBytes, QuantileSketch } from '../../core/sketch.ts';
import type { Batch } from '../../core/wire-format.ts';
import type { InstanceGuard } from './instance-guard.ts';
import { getMetaNumber } from './meta.ts';
import { insertProfile } from './profiles.ts';
import type { RouteGuard } from './route-guard.ts';
import { ALL_ROUTES, mergeCell, type CellWrite, type RollupTable } from './rollups.ts';
import { insertSample } from './samples.ts';
import type { Sql } from './sql.ts';
import { insertSpans } from './traces.ts';
import { hourOf } from '../../core/query/window.ts';


export interface RecordCounts {
  rollups: number;
  samples: number;
  spans: number;
  profiles: number;
}

export type IngestOutcome =
  | {
    status: 'accepted';
    batchId: string;
    accepted: RecordCounts;
    /** Records counted under `other` because the app is at its route or instance cap. */
    overflow: { routes: number; instance: boolean };
    /** Stored rollup rows that could not be decoded, replaced by this batch's cells (see rollups.ts). */
    replacedUnreadableRows: number;
  }
  | { status: 'duplicate'; batchId: string; receivedAt: number }
  | { status: 'overloaded'; retryAfterSeconds: number };

export interface IngestTarget {
  sql: Sql;
  routes: RouteGuard;
  instances: InstanceGuard;
  minuteRetentionMs: number;
  tenSecondRetentionMs: number;
  /** 10-second rows per route too, not only the whole app's (TEN_SECOND_ROUTES). */
  tenSecondRoutes: boolean;
  /** The app's ingest rate limit, asked once a batch is known to be new (a retried duplicate costs nothing). */
  admit?: (events: number) => { ok: true } | { ok: false; retryAfterSeconds: number };
}

/** Number of records in a batch: what the rate limit and the benchmark count. */
export function eventsIn(batch: Batch): number {
  return batch.rollups.length + batch.samples.length + batch.spans.length + batch.profiles.length;
}

/**
 * Stores `batch` unless its id was stored before. All or nothing: on any failure the transaction
 * rolls back and the caller must reload the guards (their in-memory sets may be ahead).
 */
export function ingestBatch(target: IngestTarget, batch: Batch, now: number): IngestOutcome {
  const { sql, routes, instances } = target;
  return sql.transaction((): IngestOutcome => {
    const seen = sql.exec<{ received_at: number }>('SELECT received_at FROM batches WHERE batch_id = ?', batch.batchId).toArray()[0];
    if (seen) return { status: 'duplicate', batchId: batch.batchId, receivedAt: seen.received_at };
    const admitted = target.admit?.(eventsIn(batch));
    if (admitted?.ok === false) return { status: 'overloaded', retryAfterSeconds: admitted.retryAfterSeconds };

    const requests = batch.rollups.reduce((sum, cell) => sum + cell.count, 0);
    const instance = instances.record(batch.identity, batch.dropped, now, batch.window, requests);
    let overflowRoutes = 0;
    const admit = (route: string): string => {
      const admitted = routes.admit(route, now);
      if (admitted !== route && admitted === OVERFLOW_ROUTE) overflowRoutes++;
      return admitted;
    };

    // Each cell is summed into the app's 10-second rows (recent ones: a minute cell lands at its
    // minute's start; with TEN_SECOND_ROUTES into its route's too), into its minute (summed per batch
    // first: six 10-second cells, one merge), and, for hours before the watermark (already rolled
    // up), into its hour. Late minutes past retention go to their hour only.
    const watermark = getMetaNumber(sql, 'hour_watermark');
    const minuteCutoff = now - target.minuteRetentionMs;
    const tenSecondCutoff = now - target.tenSecondRetentionMs;
    const allRoutes = new CellSums();
    const minutes = new CellSums();
    let replaced = 0;
    const merge = (table: RollupTable, write: CellWrite) => {
      if (mergeCell(sql, table, write) === 'replaced') replaced++;
    };
    for (const cell of batch.rollups) {
      // Decoded once: the sums share it until a second cell makes them copy it.
      const sketchBytes = base64ToBytes(cell.sketch);
      const write: CellWrite = { ...cell, route: admit(cell.route), sketch: QuantileSketch.fromBytes(sketchBytes), sketchBytes };
      if (cell.minute >= tenSecondCutoff) {
        if (target.tenSecondRoutes) merge('rollup_10s', write);
        allRoutes.add('rollup_10s', cell.minute, allRoutesOf(write));
      }
      minutes.add('rollup_minute', minuteOf(cell.minute), write);
    }
    for (const { time: minute, cell } of minutes.values()) {
      const hour = hourOf(minute);
      const coveredByHours = watermark !== null && hour < watermark;
      if (coveredByHours) {
        merge('rollup_hour', { ...cell, minute: hour });
        allRoutes.add('rollup_hour', hour, allRoutesOf(cell));
      }
      if (!coveredByHours || minute >= minuteCutoff) {
        merge('rollup_minute', { ...cell, minute });
        allRoutes.add('rollup_minute', minute, allRoutesOf(cell));
      }
    }
    for (const { table, time, cell } of allRoutes.values()) merge(table, { ...cell, minute: time });
    for (const sample of batch.samples) insertSample(sql, sample, admit(sample.route), instance);
    const spans = insertSpans(sql, batch.spans, { service: batch.identity.service, instance }, admit);
    for (const profile of batch.profiles) insertProfile(sql, profile, instance);
    sql.exec('INSERT INTO batches (batch_id, received_at, instance, events) VALUES (?, ?, ?, ?)', batch.batchId, now, instance, eventsIn(batch));
    return {
      status: 'accepted',
      batchId: batch.batchId,
      accepted: { rollups: batch.rollups.length, samples: batch.samples.length, spans, profiles: batch.profiles.length },
      overflow: { routes: overflowRoutes, instance: instance !== batch.identity.instance },
      replacedUnreadableRows: replaced,
    };
  });
}

/** The same cell as a contribution to the all-routes rows. */
function allRoutesOf(cell: CellWrite): CellWrite {
  return { ...cell, method: ALL_ROUTES, route: ALL_ROUTES };
}

/**
 * A batch's cells summed per table, time and key before they are merged into rows: one row update
 * per key however many cells of the batch fall in it. The first cell's sketch is shared (and its
 * serialised bytes reused) until a second cell arrives; the sum then gets a copy to grow.
 */
class CellSums {
  private readonly sums = new Map<string, { table: RollupTable; time: number; cell: CellWrite; owned: boolean }>();

  add(table: RollupTable, time: number, cell: CellWrite): void {
    const key = `${table} ${time} ${cell.method} ${cell.statusClass} ${cell.route}`;
    const sum = this.sums.get(key);
    if (sum === undefined) {
      this.sums.set(key, { table, time, cell, owned: false });
      return;
    }
    if (!sum.owned) {
      const { sketchBytes: _shared, ...rest } = sum.cell;
      sum.cell = { ...rest, sketch: sum.cell.sketch.clone() };
      sum.owned = true;
    }
    mergeInto(sum.cell, cell);
  }

  values(): IterableIterator<{ table: RollupTable; time: number; cell: CellWrite }> {
    return this.sums.values();
  }
}
