// Rollup cells: every request counted into (minute, method, route template, status class).
import { QuantileSketch } from './sketch.ts';
import { statusClassOf, type RollupCell, type StatusClass } from './wire-format.ts';

export const MINUTE_MS = 60_000;

/** A cell while it is being filled: the sketch stays an object until it is shipped. */
export interface LiveCell {
  minute: number;
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

export function cellKey(minute: number, method: string, route: string, statusClass: StatusClass): string {
  return `${minute} ${method} ${statusClass} ${route}`;
}

function emptyCell(minute: number, method: string, route: string, statusClass: StatusClass): LiveCell {
  return {
    minute, method, route, statusClass,
    count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: 0, bytes: 0,
    sketch: new QuantileSketch(),
  };
}

/**
 * The cells of one window, keyed so that each request costs one map look-up.
 *
 * @example
 * const table = new RollupTable();
 * table.record(Date.now(), 'GET', '/users/:id', 200, 12.5, 512);
 * const cells = table.drain(); // wire-format cells, table empty again
 */
export class RollupTable {
  private readonly cells = new Map<string, LiveCell>();

  get size(): number {
    return this.cells.size;
  }

  /** Counts one request (or `times` alike). `thrown` marks a handler that threw (already given status 500). */
  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown = false, times = 1): void {
    const minute = minuteOf(time);
    const statusClass = statusClassOf(status);
    const key = cellKey(minute, method, route, statusClass);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = emptyCell(minute, method, route, statusClass);
      this.cells.set(key, cell);
    }
    cell.count += times;
    if (thrown || status >= 500) cell.errors += times;
    cell.durationSum += durationMs * times;
    if (durationMs < cell.durationMin) cell.durationMin = durationMs;
    if (durationMs > cell.durationMax) cell.durationMax = durationMs;
    cell.bytes += bytes * times;
    cell.sketch.add(durationMs, times);
  }

  /** Merges a wire cell in (the edge and tests use this; sketches merge, never overwrite). */
  mergeCell(cell: RollupCell): void {
    const key = cellKey(cell.minute, cell.method, cell.route, cell.statusClass);
    let live = this.cells.get(key);
    if (live === undefined) {
      live = emptyCell(cell.minute, cell.method, cell.route, cell.statusClass);
      this.cells.set(key, live);
    }
    mergeInto(live, fromWire(cell));
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

export function mergeInto(target: LiveCell, source: LiveCell): LiveCell {
  target.count += source.count;
  target.errors += source.errors;
  target.durationSum += source.durationSum;
  target.durationMin = Math.min(target.durationMin, source.durationMin);
  target.durationMax = Math.max(target.durationMax, source.durationMax);
  target.bytes += source.bytes;
  target.sketch.merge(source.sketch);
  return target;
}

export function toWire(cell: LiveCell): RollupCell {
  return {
    minute: cell.minute,
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
  return { ...cell, sketch: QuantileSketch.fromBase64(cell.sketch) };
}
