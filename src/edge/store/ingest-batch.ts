// Writes one validated batch in one transaction: stored once per batch id, routes and instances
// through their caps, rollup cells merged into minutes (and into hours already rolled up).
import { mergeInto, type LiveCell } from '../../core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { base64ToBytes, QuantileSketch } from '../../core/sketch.ts';
import type { Batch } from '../../core/wire-format.ts';
import type { InstanceGuard } from './instance-guard.ts';
import { getMetaNumber } from './meta.ts';
import { receivedAt, rememberBatch } from './batch-ids.ts';
import { insertProfiles } from './profiles.ts';
import type { RouteGuard } from './route-guard.ts';
import { ALL_ROUTES, mergeCell, type CellWrite, type RollupTable } from './rollups.ts';
import { insertSamples } from './samples.ts';
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
  /** How long batch ids are kept (the oldest data a batch may carry, and a day). */
  batchIdsKeptMs: number;
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
    const seen = receivedAt(sql, batch.batchId, now, target.batchIdsKeptMs);
    if (seen !== null) return { status: 'duplicate', batchId: batch.batchId, receivedAt: seen };
    const admitted = target.admit?.(eventsIn(batch));
    if (admitted?.ok === false) return { status: 'overloaded', retryAfterSeconds: admitted.retryAfterSeconds };

    const instance = instances.record(batch.identity, batch.dropped, now);
    let overflowRoutes = 0;
    const admit = (route: string): string => {
      const admitted = routes.admit(route, now);
      if (admitted !== route && admitted === OVERFLOW_ROUTE) overflowRoutes++;
      return admitted;
    };

    // Hours before the watermark are already rolled up: late cells go into them directly.
    const watermark = getMetaNumber(sql, 'hour_watermark');
    const minuteCutoff = now - target.minuteRetentionMs;
    const allRoutes = new AllRoutesRows();
    let replaced = 0;
    const merge = (table: RollupTable, write: CellWrite) => {
      if (mergeCell(sql, table, write) === 'replaced') replaced++;
    };
    for (const cell of batch.rollups) {
      // Decoded once: the all-routes rows always merge it, its own row when the row exists.
      const sketchBytes = base64ToBytes(cell.sketch);
      const write: CellWrite = { ...cell, route: admit(cell.route), sketch: QuantileSketch.fromBytes(sketchBytes), sketchBytes };
      const hour = hourOf(cell.minute);
      const coveredByHours = watermark !== null && hour < watermark;
      if (coveredByHours) {
        merge('rollup_hour', { ...write, minute: hour });
        allRoutes.add('rollup_hour', hour, write);
      }
      if (!coveredByHours || cell.minute >= minuteCutoff) {
        merge('rollup_minute', write);
        allRoutes.add('rollup_minute', cell.minute, write);
      }
    }
    allRoutes.write(merge);
    insertSamples(sql, batch.samples.map((sample) => ({ ...sample, route: admit(sample.route) })), instance);
    const spans = insertSpans(sql, batch.spans, { service: batch.identity.service, instance }, admit);
    insertProfiles(sql, batch.profiles, instance);
    rememberBatch(sql, batch.batchId, now, instance, eventsIn(batch));
    return {
      status: 'accepted',
      batchId: batch.batchId,
      accepted: { rollups: batch.rollups.length, samples: batch.samples.length, spans, profiles: batch.profiles.length },
      overflow: { routes: overflowRoutes, instance: instance !== batch.identity.instance },
      replacedUnreadableRows: replaced,
    };
  });
}

/** The batch's cells summed per table, time and status class, then merged into the all-routes rows. */
class AllRoutesRows {
  private readonly rows = new Map<string, { table: RollupTable; cell: LiveCell }>();

  add(table: RollupTable, time: number, cell: CellWrite): void {
    const key = `${table} ${time} ${cell.statusClass}`;
    const live: LiveCell = {
      minute: time, method: ALL_ROUTES, route: ALL_ROUTES, statusClass: cell.statusClass, count: cell.count, errors: cell.errors,
      durationSum: cell.durationSum, durationMin: cell.durationMin, durationMax: cell.durationMax, bytes: cell.bytes, sketch: cell.sketch,
    };
    const row = this.rows.get(key);
    if (row) mergeInto(row.cell, live);
    // The first cell's sketch is shared with its own write: the sum gets a copy to grow.
    else this.rows.set(key, { table, cell: { ...live, sketch: live.sketch.clone() } });
  }

  write(merge: (table: RollupTable, cell: CellWrite) => void): void {
    for (const { table, cell } of this.rows.values()) merge(table, cell);
  }
}
