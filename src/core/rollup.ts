// Rollup cells: every request counted into (window, method, route template, status class), the
// window a minute or 10 seconds.
import { QuantileSketch } from './sketch.ts';
import { MAX_DURATION_MS, MAX_DURATION_SUM, MAX_TOTAL, saturatingAdd } from './value-bounds.ts';
import { statusClassOf, type RollupCell, type StatusClass } from './wire-format.ts';

export const MINUTE_MS = 60_000;
/** The finest cell on the wire: what the recent past is kept and charted at. */
export const TEN_SECONDS_MS = 10_000;
/** The in-process monitor's finest cell (never sent): its answers for the last minutes. */
export const SECOND_MS = 1_000;

/** A cell while it is being filled: the sketch stays an object until it is shipped. */
export interface LiveCell {
  /** Start of the cell's window (a minute, or 10 seconds when `seconds` is 10). */
  minute: number;
  /** 10 for a 10-second cell (1 for the in-process monitor's own); absent (or 60) for a minute, or a wider window placed at its start. */
  seconds?: number;
  method: string;
  route: string;
  statusClass: StatusClass;
  count: number;
  errors: number;
  durationSum: number;
  durationMin: number;
  durationMax: number;
  bytes: number;
  sketch: QuantileSketch;
}

export function minuteOf(time: number): number {
  return time - (time % MINUTE_MS);
}

/** Start of the `widthMs` window `time` falls in (times before 1970 aside, which no batch carries). */
export function windowOf(time: number, widthMs: number): number {
  return time - (time % widthMs);
}

/** The width of a cell's window in ms: 1 or 10 s, or a minute (also for wider windows placed at their start). */
export function cellWidthMs(cell: { seconds?: number }): number {
  return cell.seconds === 10 ? TEN_SECONDS_MS : cell.seconds === 1 ? SECOND_MS : MINUTE_MS;
}

export function cellKey(minute: number, method: string, route: string, statusClass: StatusClass): string {
  return `${minute} ${method} ${statusClass} ${route}`;
}

function emptyCell(minute: number, method: string, route: string, statusClass: StatusClass, widthMs: number): LiveCell {
  const cell: LiveCell = {
    minute, method, route, statusClass,
    count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: 0, bytes: 0,
    sketch: new QuantileSketch(),
  };
  if (widthMs < MINUTE_MS) cell.seconds = widthMs / 1000;
  return cell;
}

/**
 * The cells of one window, keyed so that each request costs one map look-up. Cells are a minute
 * wide unless the table is made with `TEN_SECONDS_MS` (or, in-process only, `SECOND_MS`).
 *
 * @example
 * const table = new RollupTable();
 * table.record(Date.now(), 'GET', '/users/:id', 200, 12.5, 512);
 * const cells = table.drain(); // wire-format cells, table empty again
 */
export class RollupTable {
  private readonly cells = new Map<string, LiveCell>();

  constructor(readonly widthMs: number = MINUTE_MS) {
    if (widthMs !== MINUTE_MS && widthMs !== TEN_SECONDS_MS && widthMs !== SECOND_MS) throw new RangeError('RollupTable: expected cells of a minute, 10 seconds or a second');
  }

  get size(): number {
    return this.cells.size;
  }

  /**
   * Counts one request (or `times` alike). `thrown` marks a handler that threw (already given status
   * 500). A duration or size outside what the edge accepts is clamped into it (value-bounds.ts).
   */
  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown = false, times = 1): void {
    durationMs = durationMs >= 0 ? Math.min(durationMs, MAX_DURATION_MS) : 0;
    bytes = bytes >= 0 ? Math.min(Math.floor(bytes), MAX_TOTAL) : 0;
    const minute = windowOf(time, this.widthMs);
    const statusClass = statusClassOf(status);
    const key = cellKey(minute, method, route, statusClass);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = emptyCell(minute, method, route, statusClass, this.widthMs);
      this.cells.set(key, cell);
    }
    cell.count = saturatingAdd(cell.count, times);
    if (thrown || status >= 500) cell.errors = saturatingAdd(cell.errors, times);
    cell.durationSum = saturatingAdd(cell.durationSum, durationMs * times, MAX_DURATION_SUM);
    if (durationMs < cell.durationMin) cell.durationMin = durationMs;
    if (durationMs > cell.durationMax) cell.durationMax = durationMs;
    cell.bytes = saturatingAdd(cell.bytes, bytes * times);
    cell.sketch.add(durationMs, times);
  }

  /** Merges a wire cell in (the edge and tests use this; sketches merge, never overwrite). */
  mergeCell(cell: RollupCell): void {
    const key = cellKey(cell.minute, cell.method, cell.route, cell.statusClass);
    let live = this.cells.get(key);
    if (live === undefined) {
      live = emptyCell(cell.minute, cell.method, cell.route, cell.statusClass, cellWidthMs(cell));
      this.cells.set(key, live);
    }
    mergeInto(live, fromWire(cell));
  }

  /** Merges a live cell in at `minute` (its own start by default): how narrower windows fold into wider ones. */
  mergeLive(cell: LiveCell, minute: number = cell.minute): void {
    const key = cellKey(minute, cell.method, cell.route, cell.statusClass);
    let live = this.cells.get(key);
    if (live === undefined) {
      live = emptyCell(minute, cell.method, cell.route, cell.statusClass, this.widthMs);
      this.cells.set(key, live);
    }
    mergeInto(live, cell);
  }

  cellsNow(): LiveCell[] {
    return [...this.cells.values()];
  }

  /** Returns every cell in wire form and empties the table. */
  drain(): RollupCell[] {
    const out = [...this.cells.values()].map(toWire);
    this.cells.clear();
    return out;
  }
}

/**
 * Adds `source` into `target`. Totals saturate (value-bounds.ts) as the sketch's count does, so a
 * row merged any number of times stays finite and its count equal to its sketch's. A wider cell
 * merged into a narrower one makes it as wide: the sum covers the wider window.
 */
export function mergeInto(target: LiveCell, source: LiveCell): LiveCell {
  if (cellWidthMs(source) > cellWidthMs(target)) {
    if (source.seconds === undefined || source.seconds === 60) delete target.seconds;
    else target.seconds = source.seconds;
  }
  target.count = saturatingAdd(target.count, source.count);
  target.errors = saturatingAdd(target.errors, source.errors);
  target.durationSum = saturatingAdd(target.durationSum, source.durationSum, MAX_DURATION_SUM);
  target.durationMin = Math.min(target.durationMin, source.durationMin);
  target.durationMax = Math.max(target.durationMax, source.durationMax);
  target.bytes = saturatingAdd(target.bytes, source.bytes);
  target.sketch.merge(source.sketch);
  return target;
}

const STATUS_CLASSES: ReadonlySet<string> = new Set(['1xx', '2xx', '3xx', '4xx', '5xx']);
const isTotal = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isDuration = (n: unknown): n is number => typeof n === 'number' && n >= 0 && n <= MAX_DURATION_MS;

/** What is wrong with a stored cell's count, errors and duration sum, or null when they lie within the bounds merges keep. */
export function countsProblem(count: unknown, errors: unknown, durationSum: unknown): string | null {
  if (!isTotal(count) || count === 0) return 'count is not an integer 1..2^53 − 1';
  if (!isTotal(errors) || errors > count) return 'errors is not an integer 0..count';
  if (!(typeof durationSum === 'number' && durationSum >= 0 && durationSum <= MAX_DURATION_SUM)) return 'duration sum out of range';
  return null;
}

/**
 * What is wrong with a cell read back from storage (written by an older version, or damaged), or
 * null when every number lies within the bounds merges keep: such a cell is left out of a read
 * rather than turned into Infinity, NaN or an exception.
 */
export function cellProblem(cell: LiveCell): string | null {
  if (!STATUS_CLASSES.has(cell.statusClass)) return 'status class is not one of 1xx..5xx';
  const counts = countsProblem(cell.count, cell.errors, cell.durationSum);
  if (counts !== null) return counts;
  if (!isTotal(cell.bytes)) return 'bytes is not an integer 0..2^53 − 1';
  if (!isDuration(cell.durationMin) || !isDuration(cell.durationMax) || cell.durationMin > cell.durationMax) {
    return `duration min/max are not 0 ≤ min ≤ max ≤ ${MAX_DURATION_MS}`;
  }
  if (cell.sketch.count !== cell.count) return `sketch counts ${cell.sketch.count} values, the cell ${cell.count}`;
  return null;
}

/** The wire form; `seconds` only for a 10-second cell (1-second cells stay in-process). */
export function toWire(cell: LiveCell): RollupCell {
  return {
    minute: cell.minute,
    ...(cell.seconds === 10 && { seconds: 10 as const }),
    method: cell.method,
    route: cell.route,
    statusClass: cell.statusClass,
    count: cell.count,
    errors: cell.errors,
    durationSum: cell.durationSum,
    durationMin: cell.count ? cell.durationMin : 0,
    durationMax: cell.durationMax,
    bytes: cell.bytes,
    sketch: cell.sketch.toBase64(),
  };
}

export function fromWire(cell: RollupCell): LiveCell {
  const live: LiveCell = { ...cell, sketch: QuantileSketch.fromBase64(cell.sketch) };
  if (live.seconds !== 10) delete live.seconds;
  return live;
}
