// The per-request half of the rollups, tuned for the request path: cells are found through one
// entry per (interned) route string, kept across windows, then a map by method and an index per
// status class, so that no key string is built and hashed per request. Cells are 10 seconds wide
// (the edge keeps them for the recent past and sums them into minutes). The cells are core
// LiveCells, counted exactly as RollupTable.record counts them, and leave through core's toWire.
// The route entry also carries the route's sampling state (per-route fairness), found by the same lookup.
import { TEN_SECONDS_MS, toWire, type LiveCell } from './rollup.ts';
import type { RouteTokens } from './sampler.ts';
import { QuantileSketch } from './sketch.ts';
import type { RollupCell, StatusClass } from './wire-format.ts';

const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

type ByClass = Array<LiveCell | undefined>;
type ByMethod = Map<string, ByClass>;

/** One route: its cells of the 10 seconds last recorded (most requests), earlier windows aside. `minute`: that window's start. */
export class RouteEntry implements RouteTokens {
  recentUntil = -Infinity;
  minute = NaN;
  methods: ByMethod = new Map();
  /** Cells of other windows not drained yet (requests that straddle a window's end). */
  others: Map<number, ByMethod> | undefined;
  /** The start of the latest window recorded into: an entry idle for an hour goes at a drain. */
  lastWindow = -Infinity;
}

/**
 * An entry whose route has had no request for this long is dropped at a drain, as the route namer
 * forgets such paths: entries had been kept for every route ever named (a review: +36 MB over 200
 * hours of new paths). A route that comes back gets a new entry, its sampling state afresh.
 */
const IDLE_ENTRY_MS = 3_600_000;

export class HotRollups {
  /** Bounded by the route cardinality guard upstream, and by dropping entries idle for an hour. */
  readonly #routes = new Map<string, RouteEntry>();
  #size = 0;
  /** The window last recorded into, as [start, end): a range check costs less than a `%`. */
  #windowStart = 0;
  #windowEnd = -Infinity;
  /** The cell last recorded into and what found it: a run of requests to one route skips the look-ups. */
  #lastCell: LiveCell | undefined;
  #lastEntry: RouteEntry | undefined;
  #lastRoute = '';
  #lastMethod = '';
  #lastIndex = -1;

  /** Distinct cells held. */
  get size(): number {
    return this.#size;
  }

  /** Route entries held (for tests of the bound). */
  get routeEntries(): number {
    return this.#routes.size;
  }

  /** Counts one request; returns its route's entry (for per-route sampling). */
  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown: boolean): RouteEntry {
    const index = status >= 500 ? 4 : status >= 400 ? 3 : status >= 300 ? 2 : status >= 200 ? 1 : 0;
    let cell = this.#lastCell;
    let entry = this.#lastEntry;
    if (cell === undefined || entry === undefined || !(time >= this.#windowStart && time < this.#windowEnd) || route !== this.#lastRoute || method !== this.#lastMethod || index !== this.#lastIndex) {
      entry = this.#find(time, method, route, index);
      cell = this.#lastCell!;
    }
    // As RollupTable.record: thrown handlers and 5xx are errors.
    cell.count++;
    if (thrown || status >= 500) cell.errors++;
    cell.durationSum += durationMs;
    if (durationMs < cell.durationMin) cell.durationMin = durationMs;
    if (durationMs > cell.durationMax) cell.durationMax = durationMs;
    cell.bytes += bytes;
    cell.sketch.add(durationMs);
    return entry;
  }

  /** The cell of (window, method, route, status class), made when missing; it becomes the last one. */
  #find(time: number, method: string, route: string, index: number): RouteEntry {
    let minute: number;
    if (time >= this.#windowStart && time < this.#windowEnd) {
      minute = this.#windowStart;
    } else {
      minute = time - (time % TEN_SECONDS_MS);
      this.#windowStart = minute;
      this.#windowEnd = minute + TEN_SECONDS_MS;
    }
    let entry = this.#routes.get(route);
    if (entry === undefined) {
      entry = new RouteEntry();
      this.#routes.set(route, entry);
    }
    const methods = entry.minute === minute ? entry.methods : this.#switchMinute(entry, minute);
    let byClass = methods.get(method);
    if (byClass === undefined) {
      byClass = [undefined, undefined, undefined, undefined, undefined];
      methods.set(method, byClass);
    }
    let cell = byClass[index];
    if (cell === undefined) {
      cell = {
        minute, seconds: 10, method, route, statusClass: CLASSES[index]!,
        count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: 0, bytes: 0,
        sketch: new QuantileSketch(),
      };
      byClass[index] = cell;
      this.#size++;
    }
    this.#lastCell = cell;
    this.#lastEntry = entry;
    this.#lastRoute = route;
    this.#lastMethod = method;
    this.#lastIndex = index;
    return entry;
  }

  /** Every cell in wire form; the table is empty afterwards (route entries keep their sampling state). */
  drain(): RollupCell[] {
    const out: RollupCell[] = [];
    const idleBefore = this.#windowStart - IDLE_ENTRY_MS;
    for (const [route, entry] of this.#routes) {
      collect(entry.methods, out);
      if (entry.others !== undefined) for (const methods of entry.others.values()) collect(methods, out);
      entry.minute = NaN;
      entry.methods = new Map();
      entry.others = undefined;
      if (entry.lastWindow < idleBefore) this.#routes.delete(route);
    }
    this.#size = 0;
    this.#lastCell = undefined; // drained: the next request makes a new cell
    return out;
  }

  /** Parks the entry's current window and makes the one starting at `minute` current. */
  #switchMinute(entry: RouteEntry, minute: number): ByMethod {
    if (entry.methods.size > 0) (entry.others ??= new Map()).set(entry.minute, entry.methods);
    entry.methods = entry.others?.get(minute) ?? new Map();
    entry.others?.delete(minute);
    entry.minute = minute;
    if (minute > entry.lastWindow) entry.lastWindow = minute;
    return entry.methods;
  }
}

function collect(methods: ByMethod, out: RollupCell[]): void {
  for (const byClass of methods.values()) for (const cell of byClass) if (cell !== undefined) out.push(toWire(cell));
}
