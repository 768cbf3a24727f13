// Rollup cells waiting for the edge, kept so that a long outage costs resolution, not requests.
// Cells go in as they are cut (10-second cells; minutes from older callers) and leave oldest first.
// Under memory pressure, in small steps: cells of the same window and key are merged (exact: counts,
// sums and sketches add up); then the oldest windows are widened (10 s into their minute, then 5 min,
// 15 min, 1 h, 6 h, 1 day, each placed at its start) so that more of them merge; only then are the
// oldest cells dropped, counted in cells and in requests.
import { fromWire, mergeInto, toWire } from '../../core/rollup.ts';
import type { RollupCell } from '../../core/wire-format.ts';

/** Window widths in seconds, each a multiple of the one before, so a window always sits inside the next. */
export const WIDTHS = [10, 60, 300, 900, 3_600, 21_600, 86_400] as const;
/** The level a cell of this width enters at: 10-second cells at 0, minutes at 1. */
const levelOf = (cell: RollupCell): number => (cell.seconds === 10 ? 0 : 1);

/** What dropping cells cost: wire cells, and the requests they counted. */
export interface CountsLoss {
  rollups: number;
  requests: number;
}

interface Pending {
  cell: RollupCell;
  /** Index into WIDTHS of the window the cell covers. */
  level: number;
  chars: number;
}

/** Sketch decodes between two looks at the clock while merging (each about 25–100 µs). */
const MERGE_STEP = 16;

/** Characters of a cell's JSON apart from its route, method and sketch (field names and numbers). */
const CELL_OVERHEAD = 170;

/** About the JSON length of a cell, without serialising it: the memory it is charged for. */
export function cellChars(cell: RollupCell): number {
  return CELL_OVERHEAD + cell.route.length + cell.method.length + cell.sketch.length;
}

/** The start of the window of `level` that holds the time `start` (a cell's start, ms). */
export function windowStart(start: number, level: number): number {
  const width = WIDTHS[level]! * 1000;
  return start - (((start % width) + width) % width);
}

interface Window {
  /** `method statusClass route` → cells not yet merged (usually one). */
  keys: Map<string, Pending[]>;
  /** Cells held per level. */
  atLevel: number[];
}

export class PendingCounts {
  #windows = new Map<number, Window>();
  /** The window starts, ascending. */
  #starts: number[] = [];
  /** Windows holding a key with more than one cell: merging them loses nothing. */
  #unmerged = new Set<number>();
  #atLevel = WIDTHS.map(() => 0);
  #chars = 0;
  #cells = 0;
  #requests = 0;

  /** Charged size, in characters of JSON. */
  get chars(): number {
    return this.#chars;
  }

  /** Wire cells held (a key may hold several until they are merged). */
  get cells(): number {
    return this.#cells;
  }

  /** Requests counted by the cells held. */
  get requests(): number {
    return this.#requests;
  }

  /** The widest window held, in minutes (1 until a minute was widened: 10-second cells count as within a minute). */
  get widest(): number {
    let level = 0;
    this.#atLevel.forEach((n, i) => {
      if (n > 0) level = i;
    });
    return Math.max(1, WIDTHS[level]! / 60);
  }

  add(cells: readonly RollupCell[]): void {
    for (const cell of cells) this.#put({ cell, level: levelOf(cell), chars: cellChars(cell) });
  }

  /**
   * Takes the oldest cells, at most `maxCells` and about `maxChars` (always at least one cell when any
   * is held), for a batch.
   */
  take(maxCells: number, maxChars: number): RollupCell[] {
    const out: RollupCell[] = [];
    let chars = 0;
    while (this.#starts.length > 0) {
      const start = this.#starts[0]!;
      const window = this.#windows.get(start)!;
      for (const [key, list] of window.keys) {
        while (list.length > 0) {
          const next = list[list.length - 1]!;
          if (out.length >= maxCells || (out.length > 0 && chars + next.chars > maxChars)) return out;
          list.pop();
          this.#forget(window, next);
          out.push(next.cell);
          chars += next.chars;
        }
        window.keys.delete(key);
      }
      this.#removeWindow(start);
    }
    return out;
  }

  /** Drops every cell whose window starts before `time` (the edge would refuse it as too old). */
  dropBefore(time: number): CountsLoss {
    const loss: CountsLoss = { rollups: 0, requests: 0 };
    while (this.#starts.length > 0 && this.#starts[0]! < time) this.#dropOldestKey(loss);
    return loss;
  }

  /**
   * Merges the cells of one window and key into one (exact), oldest windows first, for about
   * `maxMs`: at exit, cut after cut of an outage go in as few batches as they fit in.
   */
  mergeFor(maxMs: number): void {
    const deadline = performance.now() + maxMs;
    while (this.#unmerged.size > 0 && performance.now() < deadline) this.#mergeOldest(MERGE_STEP);
  }

  /**
   * Drops every cell whose window starts after `time`: the edge refuses a whole batch holding one
   * dated past its tolerance for the future (cells recorded while the clock was ahead).
   */
  dropAfter(time: number): CountsLoss {
    const loss: CountsLoss = { rollups: 0, requests: 0 };
    while (this.#starts.length > 0 && this.#starts[this.#starts.length - 1]! > time) this.#dropKey(this.#starts[this.#starts.length - 1]!, loss);
    return loss;
  }

  /**
   * Brings the charged size down to `budgetChars`, working for about `maxMs` at most so that one call
   * never holds the thread long; returns what had to be dropped and whether the budget is met.
   * Order: merge what merges exactly, widen the oldest of the narrowest windows, drop the oldest.
   */
  relieve(budgetChars: number, maxMs: number): { loss: CountsLoss; done: boolean } {
    const loss: CountsLoss = { rollups: 0, requests: 0 };
    const deadline = performance.now() + maxMs;
    while (this.#chars > budgetChars && this.#cells > 0) {
      if (this.#unmerged.size > 0) this.#mergeOldest(MERGE_STEP);
      else if (!this.#widenOldest()) this.#dropOldestKey(loss);
      if (performance.now() >= deadline) break;
    }
    // Done also when nothing is left: the rest of the bound is taken by what is not cells.
    return { loss, done: this.#chars <= budgetChars || this.#cells === 0 };
  }

  #put(entry: Pending): void {
    const start = entry.cell.minute;
    let window = this.#windows.get(start);
    if (window === undefined) {
      window = { keys: new Map(), atLevel: WIDTHS.map(() => 0) };
      this.#windows.set(start, window);
      this.#starts.splice(this.#insertionIndex(start), 0, start);
    }
    const key = `${entry.cell.method} ${entry.cell.statusClass} ${entry.cell.route}`;
    const list = window.keys.get(key);
    if (list === undefined) window.keys.set(key, [entry]);
    else {
      list.push(entry);
      this.#unmerged.add(start);
    }
    window.atLevel[entry.level]!++;
    this.#atLevel[entry.level]!++;
    this.#chars += entry.chars;
    this.#cells++;
    this.#requests += entry.cell.count;
  }

  #forget(window: Window, entry: Pending): void {
    window.atLevel[entry.level]!--;
    this.#atLevel[entry.level]!--;
    this.#chars -= entry.chars;
    this.#cells--;
    this.#requests -= entry.cell.count;
  }

  #removeWindow(start: number): void {
    this.#windows.delete(start);
    this.#unmerged.delete(start);
    const index = this.#insertionIndex(start);
    if (this.#starts[index] === start) this.#starts.splice(index, 1);
  }

  /** Where `start` is or would go in the ascending #starts (binary search). */
  #insertionIndex(start: number): number {
    let low = 0;
    let high = this.#starts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#starts[middle]! < start) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Merges the keys of the oldest window that has several cells for one key; returns the decodes done. */
  #mergeOldest(maxWork: number): number {
    let start = Infinity;
    for (const candidate of this.#unmerged) if (candidate < start) start = candidate;
    const window = this.#windows.get(start)!;
    let work = 0;
    for (const [key, list] of window.keys) {
      if (list.length < 2) continue;
      if (work > 0 && work + list.length > maxWork) return work; // the rest of this window next time
      const merged = fromWire(list[0]!.cell);
      let level = list[0]!.level;
      for (let i = 1; i < list.length; i++) {
        mergeInto(merged, fromWire(list[i]!.cell));
        level = Math.max(level, list[i]!.level);
      }
      for (const entry of list) this.#forget(window, entry);
      window.keys.delete(key);
      const cell = toWire(merged);
      this.#put({ cell, level, chars: cellChars(cell) });
      work += list.length;
    }
    this.#unmerged.delete(start);
    return work;
  }

  /** Moves the cells of the narrowest level, in the oldest window that has any, one level wider; false when all are at the widest. */
  #widenOldest(): boolean {
    const level = this.#atLevel.findIndex((n) => n > 0);
    if (level < 0 || level === WIDTHS.length - 1) return false;
    const start = this.#starts.find((s) => this.#windows.get(s)!.atLevel[level]! > 0)!;
    const window = this.#windows.get(start)!;
    const moving: Pending[] = [];
    for (const [key, list] of window.keys) {
      const stay = list.filter((entry) => entry.level !== level);
      if (stay.length === list.length) continue;
      for (const entry of list) if (entry.level === level) moving.push(entry);
      if (stay.length > 0) window.keys.set(key, stay);
      else window.keys.delete(key);
    }
    for (const entry of moving) this.#forget(window, entry);
    if (window.keys.size === 0) this.#removeWindow(start);
    const target = windowStart(start, level + 1);
    for (const entry of moving) {
      // Placed at the start of the wider window: the edge keeps it there. Past 10 s it is a minute
      // cell (or wider) on the wire: no `seconds`.
      let cell = entry.cell;
      if (cell.seconds !== undefined) {
        const { seconds: _narrow, ...wider } = cell;
        cell = wider;
      }
      if (cell.minute !== target) cell = { ...cell, minute: target };
      this.#put({ cell, level: level + 1, chars: entry.chars });
    }
    return true;
  }

  #dropOldestKey(loss: CountsLoss): void {
    this.#dropKey(this.#starts[0]!, loss);
  }

  /** Drops the cells of one key of the window at `start`. */
  #dropKey(start: number, loss: CountsLoss): void {
    const window = this.#windows.get(start)!;
    const [key, list] = window.keys.entries().next().value!;
    for (const entry of list) {
      this.#forget(window, entry);
      loss.rollups++;
      loss.requests += entry.cell.count;
    }
    window.keys.delete(key);
    if (window.keys.size === 0) this.#removeWindow(start);
  }
}
