// What one evaluation reads from the AppStore: the per-route minute rollups, profiles and the
// instances' last-seen times. Sketches stay as stored bytes until a percentile rule reads them.
// Cells are kept in memory from one tick to the next, minute by minute (bounded): a tick reads
// from SQLite only the minutes it has not seen and those an ingest has written since.
import { sampleFromDetail, type AlertCell, type AlertData, type AlertProfile, type AlertSample } from '../../core/alerts/alert-data.ts';
import { countsProblem, MINUTE_MS, minuteOf } from '../../core/rollup.ts';
import { bytesToBase64, QuantileSketch } from '../../core/sketch.ts';
import { minutesOf } from '../store/detail-chunks.ts';
import { profilesBetween } from '../store/profiles.ts';
import { toDetailSample, type DetailRow } from '../store/samples.ts';
import { UnreadableRows } from '../store/unreadable.ts';
import type { Sql } from '../store/sql.ts';

/** Cells kept between ticks at most; past it a tick reads its whole window (memory stays bounded). */
const MAX_KEPT_CELLS = 40_000;
/** Detail records a tick hands to custom evaluators at most (the newest). */
const MAX_SAMPLES = 50_000;
/** More missing minutes than this are read with one range query. */
const MAX_SINGLE_MINUTE_READS = 5;

interface CellRow extends Record<string, string | number | ArrayBuffer | null> {
  time: number;
  method: string;
  route: string;
  status_class: string;
  count: number;
  errors: number;
  duration_sum: number;
  sketch: ArrayBuffer;
}

/**
 * A cell whose sketch is decoded on first read, or null for a damaged row (counts out of bounds):
 * rules then see the minute without it, as the read API does. A sketch that turns out not to
 * decode reads as empty, so percentile rules are computed from the other cells.
 */
function lazyCell(row: CellRow): AlertCell | null {
  if (countsProblem(row.count, row.errors, row.duration_sum) !== null) return null;
  let decoded: QuantileSketch | undefined;
  return {
    minute: row.time,
    method: row.method,
    route: row.route,
    statusClass: row.status_class,
    count: row.count,
    errors: row.errors,
    durationSum: row.duration_sum,
    get sketch() {
      return (decoded ??= decodeOrEmpty(row));
    },
  };
}

function decodeOrEmpty(row: CellRow): QuantileSketch {
  try {
    const sketch = QuantileSketch.fromBytes(new Uint8Array(row.sketch));
    if (sketch.count === row.count) return sketch;
  } catch {
    // Damaged or from an older version: read as empty below.
  }
  return new QuantileSketch();
}

// Per-route rows only: the all-routes rows (method '*') would count every request twice.
const RANGE = `SELECT time, method, route, status_class, count, errors, duration_sum, sketch FROM rollup_minute WHERE time >= ? AND time <= ? AND method != '*'`;
const ONE_MINUTE = `SELECT time, method, route, status_class, count, errors, duration_sum, sketch FROM rollup_minute WHERE time = ? AND method != '*'`;

export class AlertDataLoader {
  private readonly minutes = new Map<number, AlertCell[]>();
  private readonly dirty = new Set<number>();
  private kept = 0;

  /** An ingest wrote cells of these minutes. */
  cellsChanged(minutes: Iterable<number>): void {
    for (const minute of minutes) this.dirty.add(minute);
  }

  /** Maintenance removed or rewrote rows: start again from the table. */
  forget(): void {
    this.minutes.clear();
    this.dirty.clear();
    this.kept = 0;
  }

  /** Cells from `since`, profiles from `profilesSince` (gauge rules' windows), samples from `samplesSince` (custom rules; null: none), up to `now`. */
  load(sql: Sql, { since, profilesSince, samplesSince, now }: { since: number; profilesSince: number; samplesSince: number | null; now: number }): AlertData {
    const first = minuteOf(since);
    for (const [minute, cells] of this.minutes) {
      if (minute < first) {
        this.minutes.delete(minute);
        this.kept -= cells.length;
      }
    }
    const missing: number[] = [];
    for (let minute = first; minute <= now; minute += MINUTE_MS) {
      if (!this.minutes.has(minute) || this.dirty.has(minute)) missing.push(minute);
    }
    const fresh = new Map<number, AlertCell[]>(missing.map((minute) => [minute, []]));
    if (missing.length > MAX_SINGLE_MINUTE_READS) {
      for (const row of sql.exec<CellRow>(RANGE, missing[0]!, now)) {
        const cell = lazyCell(row);
        if (cell) fresh.get(row.time)?.push(cell);
      }
    } else {
      for (const minute of missing) {
        for (const row of sql.exec<CellRow>(ONE_MINUTE, minute)) {
          const cell = lazyCell(row);
          if (cell) fresh.get(minute)!.push(cell);
        }
      }
    }
    const cells: AlertCell[] = [];
    for (let minute = first; minute <= now; minute += MINUTE_MS) {
      const list = fresh.get(minute) ?? this.minutes.get(minute)!;
      for (const cell of list) cells.push(cell);
    }
    for (const [minute, list] of fresh) {
      this.kept += list.length - (this.minutes.get(minute)?.length ?? 0);
      this.minutes.set(minute, list);
      this.dirty.delete(minute);
    }
    if (this.kept > MAX_KEPT_CELLS) this.forget();

    return { cells, ...otherAlertData(sql, profilesSince, samplesSince, now) };
  }
}

/** What an evaluation reads besides the cells: profiles, the newest samples, each instance's last-seen time. */
function otherAlertData(sql: Sql, profilesSince: number, samplesSince: number | null, now: number): Omit<AlertData, 'cells'> {
  const profiles = profilesBetween(sql, profilesSince, now)
    .map((p): AlertProfile => ({ timestamp: p.timestamp, instance: p.instance, rss: p.rss, cpuPercent: p.cpuPercent, eventLoopLagMs: p.eventLoopLagMs }));
  const lastSeen: Record<string, number> = {};
  for (const row of sql.exec<{ instance: string; last_seen: number }>('SELECT instance, last_seen FROM instances')) lastSeen[row.instance] = row.last_seen;
  return { profiles, samples: samplesSince === null ? [] : loadSamples(sql, samplesSince, now), lastSeen };
}

/** The newest MAX_SAMPLES detail records (both layouts) as the spec's PerformanceMetrics (what a customEvaluator receives), oldest first. */
function loadSamples(sql: Sql, since: number, now: number): AlertSample[] {
  const legacy = sql.exec<DetailRow>(
    `SELECT timestamp, method, path, route, status_code, duration, user_agent, rss, heap_used, heap_total, cpu_usage, trace_id, span_id, response_size, error
     FROM samples WHERE timestamp >= ? AND timestamp <= ? ORDER BY timestamp DESC LIMIT ?`, since, now, MAX_SAMPLES,
  ).toArray().map((row) => ({ time: row.timestamp, sample: toDetailSample(row) }));
  const chunked: typeof legacy = [];
  for (const minute of minutesOf(sql, 'samples', since, now, 'desc', new UnreadableRows())) {
    for (const entry of minute) chunked.push({ time: entry.time, sample: entry.record });
    if (chunked.length >= MAX_SAMPLES) break;
  }
  const newest = legacy.length === 0 ? chunked.slice(0, MAX_SAMPLES) : [...legacy, ...chunked].sort((a, b) => b.time - a.time).slice(0, MAX_SAMPLES);
  return newest.reverse().map(({ sample }) => sampleFromDetail(sample));
}

/**
 * What one evaluation reads of a store, as plain data (sketches as base64): what a shard sends to
 * shard 0, which evaluates the app's rules over every shard's data (shards.ts). Read afresh.
 */
export function plainAlertData(sql: Sql, { since, profilesSince, samplesSince, now, anyRule }: DataRequestLike): AlertData {
  if (!anyRule) return { cells: [], profiles: [], samples: [], lastSeen: {} };
  const cells: AlertCell[] = [];
  for (const row of sql.exec<CellRow>(RANGE, minuteOf(since), now)) {
    if (countsProblem(row.count, row.errors, row.duration_sum) !== null || !(row.sketch instanceof ArrayBuffer)) continue;
    cells.push({ minute: row.time, method: row.method, route: row.route, statusClass: row.status_class, count: row.count, errors: row.errors,
      durationSum: row.duration_sum, sketch: bytesToBase64(new Uint8Array(row.sketch)) });
  }
  return { cells, ...otherAlertData(sql, profilesSince, samplesSince, now) };
}

type DataRequestLike = { since: number; profilesSince: number; samplesSince: number | null; now: number; anyRule: boolean };

/** Several stores' data as one: lists side by side, each instance's latest last-seen time. Newest MAX_SAMPLES samples. */
export function mergeAlertData(parts: readonly AlertData[]): AlertData {
  if (parts.length === 1) return parts[0]!;
  const lastSeen: Record<string, number> = {};
  for (const part of parts) for (const [instance, time] of Object.entries(part.lastSeen)) lastSeen[instance] = Math.max(Object.hasOwn(lastSeen, instance) ? lastSeen[instance]! : 0, time); // not Object's `constructor`
  const samples = parts.flatMap((part) => part.samples).sort((a, b) => a.timestamp - b.timestamp);
  return {
    cells: parts.flatMap((part) => part.cells),
    profiles: parts.flatMap((part) => part.profiles).sort((a, b) => a.timestamp - b.timestamp),
    samples: samples.length > MAX_SAMPLES ? samples.slice(samples.length - MAX_SAMPLES) : samples,
    lastSeen,
  };
}
