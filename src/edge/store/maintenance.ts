// What the alarm runs: roll completed minutes up into hours, then apply retention and caps.
// Time comes in as `now`, so the same pass runs under a real or a test clock.
import { LATEST as END_OF_TIME } from '../../core/wire-format.ts';
import { mergeInto, type LiveCell } from '../../core/rollup.ts';
import { batchIdsKeptMs, forgetBatchesBefore } from './batch-ids.ts';
import { chunkRecordCount, deleteChunksBefore, deleteOldestRecords, minutesOf, oldestChunkTime, type ChunkKind } from './detail-chunks.ts';
import type { InstanceGuard } from './instance-guard.ts';
import { deleteTracesBefore } from './trace-summaries.ts';
import { getMetaNumber, setMeta } from './meta.ts';
import type { RouteGuard } from './route-guard.ts';
import { mergeCell, readCells } from './rollups.ts';
import { scalar, type Sql } from './sql.ts';
import { UnreadableRows } from './unreadable.ts';
import { HOUR_MS, hourOf } from '../../core/query/window.ts';

/** An hour is rolled up this long after it ends; data later than that still lands (see ingest-batch.ts). */
const ROLLUP_GRACE_MS = 5 * 60_000;

export interface RetentionPolicy {
  tenSecondRetentionMs: number;
  minuteRetentionMs: number;
  hourRetentionMs: number;
  detailRetentionMs: number;
  maxSamples: number;
  maxSpans: number;
  maxProfiles: number;
  /** Oldest data a batch may carry; batch ids are kept this long plus a day, for idempotent retries. */
  maxBatchAgeMs: number;
}

export interface MaintenanceReport {
  hoursRolledUp: number;
  /** Every hour before this is in rollup_hour. */
  watermark: number;
  deleted: Record<'tenSeconds' | 'minutes' | 'hours' | 'samples' | 'spans' | 'traces' | 'profiles' | 'batches' | 'routes' | 'instances', number>;
  /** Minute rows left out of the roll-up because they could not be decoded (they expire with the rest). */
  unreadable: number;
}

export interface MaintenanceTarget {
  sql: Sql;
  routes: RouteGuard;
  instances: InstanceGuard;
}


export function runMaintenance(target: MaintenanceTarget, now: number, policy: RetentionPolicy): MaintenanceReport {
  const { sql } = target;
  const unreadable = new UnreadableRows();
  const { hoursRolledUp, watermark } = sql.transaction(() => rollUpHours(sql, now, unreadable));
  const deleted = sql.transaction(() => {
    const del = (query: string, ...params: number[]) => sql.exec(query, ...params).rowsWritten;
    const detailCutoff = now - policy.detailRetentionMs;
    const counts = {
      // Minutes are written as the 10-second cells arrive, so these go by age alone.
      tenSeconds: del('DELETE FROM rollup_10s WHERE time < ?', now - policy.tenSecondRetentionMs),
      // Minutes go only once their hour is rolled up, whatever their age.
      minutes: del('DELETE FROM rollup_minute WHERE time < ?', Math.min(now - policy.minuteRetentionMs, watermark)),
      // An hour goes once all of it is past retention: one that straddles the horizon still holds
      // requests a window inside retention counts (a window is aligned down to its hour).
      hours: del('DELETE FROM rollup_hour WHERE time <= ?', now - policy.hourRetentionMs - HOUR_MS),
      samples: del('DELETE FROM samples WHERE timestamp < ?', detailCutoff) + deleteChunksBefore(sql, 'samples', detailCutoff) + trimOldest(sql, 'samples', policy.maxSamples),
      spans: del('DELETE FROM spans WHERE start_time < ?', detailCutoff) + deleteChunksBefore(sql, 'spans', detailCutoff) + trimOldest(sql, 'spans', policy.maxSpans),
      traces: 0,
      profiles: del('DELETE FROM profiles WHERE timestamp < ?', detailCutoff) + deleteChunksBefore(sql, 'profiles', detailCutoff) + trimOldest(sql, 'profiles', policy.maxProfiles),
      batches: forgetBatchesBefore(sql, now - batchIdsKeptMs(policy.maxBatchAgeMs)),
      routes: target.routes.forgetOlderThan(now - policy.hourRetentionMs),
      instances: target.instances.forgetOlderThan(now - policy.hourRetentionMs),
    };
    // A trace goes with its spans: by age, or when the cap removed spans older than it (all of them: every trace).
    const oldestSpan = minOf(scalar(sql, 'SELECT MIN(start_time) FROM spans'), oldestChunkTime(sql, 'spans'));
    counts.traces = deleteTracesBefore(sql, oldestSpan !== null ? Math.max(oldestSpan, detailCutoff) : END_OF_TIME);
    return counts;
  });
  setMeta(sql, 'last_maintenance', now);
  return { hoursRolledUp, watermark, deleted, unreadable: unreadable.count };
}

/** Merges the minutes of every completed hour not yet rolled up into rollup_hour; moves the watermark. */
function rollUpHours(sql: Sql, now: number, unreadable: UnreadableRows): { hoursRolledUp: number; watermark: number } {
  const target = hourOf(now - ROLLUP_GRACE_MS);
  let watermark = getMetaNumber(sql, 'hour_watermark');
  if (watermark === null) {
    const oldest = scalar(sql, 'SELECT MIN(time) FROM rollup_minute');
    watermark = typeof oldest === 'number' ? hourOf(oldest) : target;
  }
  let hoursRolledUp = 0;
  let hour = watermark;
  while (hour < target) {
    // Skip empty hours in one look-up rather than one per hour.
    const next = scalar(sql, 'SELECT MIN(time) FROM rollup_minute WHERE time >= ? AND time < ?', hour, target);
    if (typeof next !== 'number') break;
    hour = hourOf(next);
    const groups = new Map<string, LiveCell>();
    // Per-route and all-routes rows alike: each becomes its hour's row of the same key.
    const minutes = [
      ...readCells(sql, 'rollup_minute', hour, hour + HOUR_MS, { kind: 'per-route' }, unreadable),
      ...readCells(sql, 'rollup_minute', hour, hour + HOUR_MS, { kind: 'all-routes' }, unreadable),
    ];
    for (const cell of minutes) {
      const key = `${cell.method} ${cell.statusClass} ${cell.route}`;
      const group = groups.get(key);
      if (group) mergeInto(group, cell);
      else groups.set(key, cell);
    }
    for (const cell of groups.values()) mergeCell(sql, 'rollup_hour', { ...cell, minute: hour });
    hoursRolledUp++;
    hour += HOUR_MS;
  }
  watermark = Math.max(watermark, target);
  setMeta(sql, 'hour_watermark', watermark);
  return { hoursRolledUp, watermark };
}

const LEGACY = {
  samples: { table: 'samples', time: 'timestamp' },
  spans: { table: 'spans', time: 'start_time' },
  profiles: { table: 'profiles', time: 'timestamp' },
} as const;

/**
 * Deletes the oldest records past `cap` (the `maxEntries` of the kind), by time, whichever layout
 * holds them: the oldest of the first layout's rows and of the chunks are merged to see how many
 * of each go.
 */
function trimOldest(sql: Sql, kind: keyof typeof LEGACY, cap: number): number {
  const { table, time } = LEGACY[kind];
  const legacy = scalar(sql, `SELECT COUNT(*) FROM ${table}`) as number;
  const excess = legacy + chunkRecordCount(sql, kind) - cap;
  if (excess <= 0) return 0;
  let fromLegacy = 0;
  if (legacy > 0) {
    const oldRows = sql.exec<{ t: number }>(`SELECT ${time} AS t FROM ${table} ORDER BY ${time}, id LIMIT ?`, excess).toArray().map((r) => r.t);
    const chunked = oldestTimes(sql, kind, excess);
    // Merge the two ascending lists up to `excess`: how many of the oldest are rows of the old table.
    let a = 0;
    let b = 0;
    while (a + b < excess) {
      if (b >= chunked.length || (a < oldRows.length && oldRows[a]! <= chunked[b]!)) a++;
      else b++;
    }
    fromLegacy = a;
  }
  const removed = fromLegacy > 0 ? sql.exec(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} ORDER BY ${time}, id LIMIT ?)`, fromLegacy).rowsWritten : 0;
  return removed + deleteOldestRecords(sql, kind, excess - fromLegacy);
}

/** The times of the oldest `count` chunked records, ascending. */
function oldestTimes(sql: Sql, kind: ChunkKind, count: number): number[] {
  const times: number[] = [];
  for (const minute of minutesOf(sql, kind, 0, END_OF_TIME, 'asc', new UnreadableRows())) {
    for (const entry of minute) times.push(entry.time);
    if (times.length >= count) break;
  }
  return times.slice(0, count);
}

function minOf(a: unknown, b: number | null): number | null {
  if (typeof a !== 'number') return b;
  return b === null ? a : Math.min(a, b);
}

/** Whether anything is left to maintain: when not, the alarm stops re-arming itself. */
export function hasData(sql: Sql): boolean {
  return scalar(sql, `SELECT EXISTS (SELECT 1 FROM rollup_10s) OR EXISTS (SELECT 1 FROM rollup_minute) OR EXISTS (SELECT 1 FROM rollup_hour) OR EXISTS (SELECT 1 FROM samples)
    OR EXISTS (SELECT 1 FROM spans) OR EXISTS (SELECT 1 FROM profiles) OR EXISTS (SELECT 1 FROM batches)
    OR EXISTS (SELECT 1 FROM sample_chunks) OR EXISTS (SELECT 1 FROM span_chunks) OR EXISTS (SELECT 1 FROM profile_chunks)
    OR EXISTS (SELECT 1 FROM trace_chunks) OR EXISTS (SELECT 1 FROM batch_ids) OR EXISTS (SELECT 1 FROM routes)`) === 1;
}
