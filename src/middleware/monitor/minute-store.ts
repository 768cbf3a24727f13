// The monitor's memory of every request: rollup cells per minute (core's RollupTable), plus exact
// counts per status code and user-agent class that cells do not carry. Bounded by age and cell count.
import { MINUTE_MS, minuteOf, RollupTable, type LiveCell } from '../../core/rollup.ts';
import type { UserAgentClass } from '../../core/user-agent.ts';

export interface MinuteCounts {
  statusCodes: Map<number, number>;
  userAgentKinds: Map<string, number>;
  userAgentFamilies: Map<string, number>;
}

interface Minute {
  table: RollupTable;
  counts: MinuteCounts;
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class MinuteStore {
  #minutes = new Map<number, Minute>();
  #cells = 0;

  constructor(
    readonly maxAgeMs: number,
    readonly maxCells: number,
  ) {}

  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown: boolean, userAgent: UserAgentClass): void {
    const key = minuteOf(time);
    let minute = this.#minutes.get(key);
    if (minute === undefined) {
      minute = { table: new RollupTable(), counts: { statusCodes: new Map(), userAgentKinds: new Map(), userAgentFamilies: new Map() } };
      this.#minutes.set(key, minute);
      this.#prune(time);
    }
    const before = minute.table.size;
    minute.table.record(time, method, route, status, durationMs, bytes, thrown);
    this.#cells += minute.table.size - before;
    bump(minute.counts.statusCodes, status);
    bump(minute.counts.userAgentKinds, userAgent.kind);
    bump(minute.counts.userAgentFamilies, userAgent.family);
    if (this.#cells > this.maxCells) this.#dropOldest();
  }

  /** Live cells (not copies: read, don't change) of the minutes that overlap [from, to). */
  cells(from = -Infinity, to = Infinity): LiveCell[] {
    const out: LiveCell[] = [];
    for (const [minute, { table }] of this.#minutes) {
      if (minute + MINUTE_MS > from && minute < to) out.push(...table.cellsNow());
    }
    return out;
  }

  counts(from = -Infinity, to = Infinity): MinuteCounts[] {
    const out: MinuteCounts[] = [];
    for (const [minute, { counts }] of this.#minutes) {
      if (minute + MINUTE_MS > from && minute < to) out.push(counts);
    }
    return out;
  }

  clear(): void {
    this.#minutes = new Map();
    this.#cells = 0;
  }

  #prune(now: number): void {
    const oldest = minuteOf(now - this.maxAgeMs);
    for (const [minute, { table }] of this.#minutes) {
      if (minute >= oldest) continue;
      this.#cells -= table.size;
      this.#minutes.delete(minute);
    }
  }

  #dropOldest(): void {
    // Minutes arrive in time order, so the map's first key is the oldest (a clock step back aside).
    while (this.#cells > this.maxCells && this.#minutes.size > 1) {
      const [minute, { table }] = this.#minutes.entries().next().value as [number, Minute];
      this.#cells -= table.size;
      this.#minutes.delete(minute);
    }
  }
}
