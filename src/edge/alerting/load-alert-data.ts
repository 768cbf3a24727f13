// What one evaluation reads from the AppStore: the per-route rollups, profiles and the instances'
// last-seen times. Whole hours already rolled up come from rollup_hour (hour-rows.ts), the minutes
// at either end of the window from rollup_minute, and the minutes of an hour when a shorter window
// starts inside it. Sketches stay as stored bytes until a percentile rule reads them. Cells are kept
// in memory from one tick to the next, minute by minute and hour by hour (bounded): a tick reads
// from SQLite only what it has not seen and what an ingest has written since.
import { sampleFromDetail, type AlertCell, type AlertData, type AlertProfile, type AlertSample, type HourCells } from '../../core/alerts/alert-data.ts';
import { HOUR_MS, hourOf } from '../../core/query/window.ts';
import { countsProblem, MINUTE_MS, minuteOf } from '../../core/rollup.ts';
import { bytesToBase64 } from '../../core/sketch.ts';
import { minutesOf } from '../store/detail-chunks.ts';
import { getMetaNumber } from '../store/meta.ts';
import { profilesBetween } from '../store/profiles.ts';
import { toDetailSample, type DetailRow } from '../store/samples.ts';
import { UnreadableRows } from '../store/unreadable.ts';
import { scalar, type Sql } from '../store/sql.ts';
import { CELL_COLUMNS, lazyCell, type CellRow } from './cell-rows.ts';
import { wholeHourCells } from './hour-rows.ts';

/** Cells kept between ticks at most; past it a tick reads its whole window (memory stays bounded). */
const MAX_KEPT_CELLS = 40_000;
/** Detail records a tick hands to custom evaluators at most (the newest). */
const MAX_SAMPLES = 50_000;
/** A run of more missing minutes than this is read with one range query. */
const MAX_SINGLE_MINUTE_READS = 5;

// Per-route rows only: the all-routes rows (method '*') would count every request twice.
const RANGE = `SELECT ${CELL_COLUMNS} FROM rollup_minute WHERE time >= ? AND time <= ? AND method != '*'`;
const ONE_MINUTE = `SELECT ${CELL_COLUMNS} FROM rollup_minute WHERE time = ? AND method != '*'`;

export class AlertDataLoader {
  private readonly minutes = new Map<number, AlertCell[]>();
  private readonly dirty = new Set<number>();
  private kept = 0;
  /** Whole hours read from rollup_hour: their cells, or null for an hour read from its minutes instead. */
  private readonly hours = new Map<number, AlertCell[] | null>();
  private keptHourCells = 0;

  /** An ingest wrote cells of these minutes (into their minute rows, or their hour rows only). */
  cellsChanged(minutes: Iterable<number>): void {
    for (const minute of minutes) {
      this.dirty.add(minute);
      this.dropHour(hourOf(minute));
    }
  }

  /**
   * Maintenance removed or rewrote rows: minutes are read again from the tables. Hours read from
   * their hour rows are kept: maintenance rolls up only hours past the watermark (never one read
   * here), and deletes hour rows only a day and an hour past (HOUR_RETENTION_DAYS ≥ 1), older than
   * any window. An hour read from its minutes is dropped: once its minutes pass retention its hour
   * rows are all that is left of it (hour-rows.ts).
   */
  forget(): void {
    this.forgetMinutes();
    for (const [hour, cells] of this.hours) if (cells === null) this.hours.delete(hour);
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
    for (const hour of this.hours.keys()) if (hour < first) this.dropHour(hour);
    const hours = this.wholeHours(sql, first, now);
    const cells = this.minuteCells(sql, first, now, (minute) => hours.has(hourOf(minute)));
    const data: AlertData = { cells, ...otherAlertData(sql, profilesSince, samplesSince, now) };
    if (hours.size === 0) return data;
    return {
      ...data,
      hours: {
        hours: [...hours.keys()],
        cells: [...hours.values()].flat(),
        minutesOf: (hour) => (hours.has(hour) ? this.minuteCells(sql, hour, hour + HOUR_MS - MINUTE_MS, () => false) : []),
      },
    };
  }

  /**
   * The hours inside [first, now] that rollup_hour holds (before the watermark, as the read API
   * decides: queries.ts) and whose rows agree with their minutes (hour-rows.ts), in time order.
   */
  private wholeHours(sql: Sql, first: number, now: number): Map<number, AlertCell[]> {
    const rolledUpTo = Math.min(hourOf(now), getMetaNumber(sql, 'hour_watermark') ?? -Infinity);
    let oldest: number | null | undefined; // read only when an hour is read
    const whole = new Map<number, AlertCell[]>();
    for (let hour = Math.ceil(first / HOUR_MS) * HOUR_MS; hour + HOUR_MS <= rolledUpTo; hour += HOUR_MS) {
      let cells = this.hours.get(hour);
      if (cells === undefined) {
        if (oldest === undefined) oldest = oldestMinute(sql);
        cells = wholeHourCells(sql, hour, oldest);
        this.hours.set(hour, cells);
        this.keptHourCells += cells?.length ?? 0;
      }
      if (cells !== null) whole.set(hour, cells);
    }
    // Past the bound the hours are read again next tick (the ones in use stay in `whole` for this one).
    if (this.keptHourCells > MAX_KEPT_CELLS) {
      this.hours.clear();
      this.keptHourCells = 0;
    }
    return whole;
  }

  private dropHour(hour: number): void {
    this.keptHourCells -= this.hours.get(hour)?.length ?? 0;
    this.hours.delete(hour);
  }

  /** The cells of the minutes in [from, to] but those `skip` says, read from SQLite only where not kept or changed since. */
  private minuteCells(sql: Sql, from: number, to: number, skip: (minute: number) => boolean): AlertCell[] {
    const missing: number[] = [];
    for (let minute = from; minute <= to; minute += MINUTE_MS) {
      if (!skip(minute) && (!this.minutes.has(minute) || this.dirty.has(minute))) missing.push(minute);
    }
    const fresh = readMinutes(sql, missing);
    const cells: AlertCell[] = [];
    for (let minute = from; minute <= to; minute += MINUTE_MS) {
      if (skip(minute)) continue;
      const list = fresh.get(minute) ?? this.minutes.get(minute)!;
      for (const cell of list) cells.push(cell);
    }
    for (const [minute, list] of fresh) {
      this.kept += list.length - (this.minutes.get(minute)?.length ?? 0);
      this.minutes.set(minute, list);
      this.dirty.delete(minute);
    }
    if (this.kept > MAX_KEPT_CELLS) this.forgetMinutes();
    return cells;
  }

  private forgetMinutes(): void {
    this.minutes.clear();
    this.dirty.clear();
    this.kept = 0;
  }
}

function oldestMinute(sql: Sql): number | null {
  const oldest = scalar(sql, 'SELECT MIN(time) FROM rollup_minute');
  return typeof oldest === 'number' ? oldest : null;
}

/** The cells of these minutes (ascending), each run of consecutive minutes read with one query when long. */
function readMinutes(sql: Sql, minutes: readonly number[]): Map<number, AlertCell[]> {
  const fresh = new Map<number, AlertCell[]>(minutes.map((minute) => [minute, []]));
  const add = (row: CellRow) => {
    const cell = lazyCell(row);
    if (cell) fresh.get(row.time)?.push(cell);
  };
  for (let i = 0; i < minutes.length;) {
    let j = i + 1;
    while (j < minutes.length && minutes[j] === minutes[j - 1]! + MINUTE_MS) j++;
    if (j - i > MAX_SINGLE_MINUTE_READS) {
      for (const row of sql.exec<CellRow>(RANGE, minutes[i]!, minutes[j - 1]!)) add(row);
    } else {
      for (let k = i; k < j; k++) for (const row of sql.exec<CellRow>(ONE_MINUTE, minutes[k]!)) add(row);
    }
    i = j;
  }
  return fresh;
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
  const hours = mergeHours(parts.flatMap((part) => (part.hours === undefined ? [] : [part.hours])));
  const lastSeen: Record<string, number> = {};
  for (const part of parts) for (const [instance, time] of Object.entries(part.lastSeen)) lastSeen[instance] = Math.max(Object.hasOwn(lastSeen, instance) ? lastSeen[instance]! : 0, time); // not Object's `constructor`
  const samples = parts.flatMap((part) => part.samples).sort((a, b) => a.timestamp - b.timestamp);
  return {
    cells: parts.flatMap((part) => part.cells),
    profiles: parts.flatMap((part) => part.profiles).sort((a, b) => a.timestamp - b.timestamp),
    samples: samples.length > MAX_SAMPLES ? samples.slice(samples.length - MAX_SAMPLES) : samples,
    lastSeen,
    ...(hours && { hours }),
  };
}

/** Several stores' hour cells as one: an hour's minutes are those of every store that gave it as an hour. */
function mergeHours(parts: readonly HourCells[]): HourCells | undefined {
  if (parts.length <= 1) return parts[0];
  const given = parts.map((part) => new Set(part.hours));
  return {
    hours: [...new Set(parts.flatMap((part) => part.hours))].sort((a, b) => a - b),
    cells: parts.flatMap((part) => part.cells),
    minutesOf: (hour) => parts.flatMap((part, i) => (given[i]!.has(hour) ? part.minutesOf(hour) : [])),
  };
}
