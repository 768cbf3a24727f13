// The per-request half of the rollups, tuned for the request path: cells are found through nested
// maps keyed by the (interned) route and method strings and an index per status class, so that no
// key string is built and hashed per request. The cells are core LiveCells, counted exactly as
// RollupTable.record counts them, and leave through core's toWire.
import { MINUTE_MS, minuteOf, toWire, type LiveCell } from '../core/rollup.ts';
import { QuantileSketch } from '../core/sketch.ts';
import type { RollupCell, StatusClass } from '../core/wire-format.ts';

const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

type ByClass = Array<LiveCell | undefined>;

export class HotRollups {
  /** minute → route → method → cell per status class (index 0..4 for 1xx..5xx). */
  #minutes = new Map<number, Map<string, Map<string, ByClass>>>();
  #size = 0;
  /** The minute last recorded into, as [start, end) and its routes: most requests land there, and a range check costs less than minuteOf's `%`. */
  #windowStart = 0;
  #windowEnd = -Infinity;
  #window: Map<string, Map<string, ByClass>> | undefined;

  /** Distinct cells held. */
  get size(): number {
    return this.#size;
  }

  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown: boolean): void {
    let minute: number;
    let routes: Map<string, Map<string, ByClass>>;
    if (time >= this.#windowStart && time < this.#windowEnd) {
      minute = this.#windowStart;
      routes = this.#window!;
    } else {
      minute = minuteOf(time);
      let found = this.#minutes.get(minute);
      if (found === undefined) {
        found = new Map();
        this.#minutes.set(minute, found);
      }
      routes = found;
      this.#windowStart = minute;
      this.#windowEnd = minute + MINUTE_MS;
      this.#window = routes;
    }
    let methods = routes.get(route);
    if (methods === undefined) {
      methods = new Map();
      routes.set(route, methods);
    }
    let byClass = methods.get(method);
    if (byClass === undefined) {
      byClass = [undefined, undefined, undefined, undefined, undefined];
      methods.set(method, byClass);
    }
    const index = status >= 500 ? 4 : status >= 400 ? 3 : status >= 300 ? 2 : status >= 200 ? 1 : 0;
    let cell = byClass[index];
    if (cell === undefined) {
      cell = {
        minute, method, route, statusClass: CLASSES[index]!,
        count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: 0, bytes: 0,
        sketch: new QuantileSketch(),
      };
      byClass[index] = cell;
      this.#size++;
    }
    // As RollupTable.record: thrown handlers and 5xx are errors.
    cell.count++;
    if (thrown || status >= 500) cell.errors++;
    cell.durationSum += durationMs;
    if (durationMs < cell.durationMin) cell.durationMin = durationMs;
    if (durationMs > cell.durationMax) cell.durationMax = durationMs;
    cell.bytes += bytes;
    cell.sketch.add(durationMs);
  }

  /** Every cell in wire form; the table is empty afterwards. */
  drain(): RollupCell[] {
    const out: RollupCell[] = [];
    for (const routes of this.#minutes.values()) {
      for (const methods of routes.values()) {
        for (const byClass of methods.values()) {
          for (const cell of byClass) if (cell !== undefined) out.push(toWire(cell));
        }
      }
    }
    this.#minutes = new Map();
    this.#size = 0;
    this.#windowEnd = -Infinity;
    this.#window = undefined;
    return out;
  }
}
