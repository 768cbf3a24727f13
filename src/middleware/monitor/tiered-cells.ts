// The monitor's memory of every request: rollup cells (core's RollupTable) and exact counts per
// status code and user-agent class, in windows that widen with age — 1 second for the last 5
// minutes, 10 seconds for the last 65, then minutes until `maxAgeMs` — so recent questions get
// answers to the second and old ones stay cheap. Bounded by age and by cell count.
import { MINUTE_MS, RollupTable, SECOND_MS, TEN_SECONDS_MS, windowOf, type LiveCell } from '../../core/rollup.ts';
import type { UserAgentClass } from '../../core/user-agent.ts';

export interface WindowCounts {
  statusCodes: Map<number, number>;
  userAgentKinds: Map<string, number>;
  userAgentFamilies: Map<string, number>;
}

interface Slot {
  start: number;
  table: RollupTable;
  counts: WindowCounts;
}

interface Tier {
  widthMs: number;
  /** Slots whose start is older than this move into the next tier (the last tier: are dropped past maxAge). */
  ageMs: number;
  slots: Map<number, Slot>;
}

/** How long each width is kept: seconds for 5 minutes; 10 seconds a little past the 1 h view. */
export const SECOND_TIER_MS = 5 * MINUTE_MS;
export const TEN_SECOND_TIER_MS = 65 * MINUTE_MS;
/** The window dashboards may chart in 10-second buckets without reaching the minutes. */
export const TEN_SECOND_CHART_MS = 60 * MINUTE_MS;

function bump<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function emptyCounts(): WindowCounts {
  return { statusCodes: new Map(), userAgentKinds: new Map(), userAgentFamilies: new Map() };
}

export class TieredCells {
  readonly #tiers: Tier[];
  #cells = 0;
  /** The slot last recorded into (most requests land in the current second). */
  #current: Slot | undefined;

  constructor(
    readonly maxAgeMs: number,
    readonly maxCells: number,
  ) {
    this.#tiers = [
      { widthMs: SECOND_MS, ageMs: Math.min(SECOND_TIER_MS, maxAgeMs), slots: new Map() },
      { widthMs: TEN_SECONDS_MS, ageMs: Math.min(TEN_SECOND_TIER_MS, maxAgeMs), slots: new Map() },
      { widthMs: MINUTE_MS, ageMs: maxAgeMs, slots: new Map() },
    ];
  }

  record(time: number, method: string, route: string, status: number, durationMs: number, bytes: number, thrown: boolean, userAgent: UserAgentClass): void {
    const start = windowOf(time, SECOND_MS);
    let slot = this.#current?.start === start ? this.#current : this.#tiers[0]!.slots.get(start);
    if (slot === undefined) {
      slot = { start, table: new RollupTable(SECOND_MS), counts: emptyCounts() };
      this.#tiers[0]!.slots.set(start, slot);
      // Once a second at most: older seconds widen into 10 s, older 10 s into minutes.
      this.#compact(time);
    }
    this.#current = slot;
    const before = slot.table.size;
    slot.table.record(time, method, route, status, durationMs, bytes, thrown);
    this.#cells += slot.table.size - before;
    bump(slot.counts.statusCodes, status);
    bump(slot.counts.userAgentKinds, userAgent.kind);
    bump(slot.counts.userAgentFamilies, userAgent.family);
    if (this.#cells > this.maxCells) this.#dropOldest();
  }

  /**
   * The window that holds `time` as this store keeps it now (1 s, 10 s or a minute by age), or the
   * second of `time` when nothing is kept there: where a question about `time` onwards starts.
   */
  windowAt(time: number): { start: number; widthMs: number } {
    for (const tier of this.#tiers) {
      const start = windowOf(time, tier.widthMs);
      if (tier.slots.has(start)) return { start, widthMs: tier.widthMs };
    }
    return { start: windowOf(time, SECOND_MS), widthMs: SECOND_MS };
  }

  /** Live cells (not copies: read, don't change) of the windows that start in [from, to). */
  cells(from = -Infinity, to = Infinity): LiveCell[] {
    const out: LiveCell[] = [];
    for (const slot of this.#slotsIn(from, to)) for (const cell of slot.table.cellsNow()) out.push(cell);
    return out;
  }

  /** Counts of the windows that start in [from, to). */
  counts(from = -Infinity, to = Infinity): WindowCounts[] {
    return this.#slotsIn(from, to).map((slot) => slot.counts);
  }

  clear(): void {
    for (const tier of this.#tiers) tier.slots = new Map();
    this.#cells = 0;
    this.#current = undefined;
  }

  /** Oldest first: the widest tier first, each in time order. */
  #slotsIn(from: number, to: number): Slot[] {
    const out: Slot[] = [];
    for (const tier of [...this.#tiers].reverse()) {
      for (const slot of tier.slots.values()) if (slot.start >= from && slot.start < to) out.push(slot);
    }
    return out;
  }

  #compact(now: number): void {
    this.#tiers.forEach((tier, i) => {
      const next = this.#tiers[i + 1];
      for (const [start, slot] of tier.slots) {
        if (start >= now - tier.ageMs) continue;
        tier.slots.delete(start);
        if (slot === this.#current) this.#current = undefined;
        this.#cells -= slot.table.size;
        if (next !== undefined) this.#moveInto(next, slot);
      }
    });
  }

  /** Merges a slot into the wider slot of `tier` that holds it: every count and sketch adds up. */
  #moveInto(tier: Tier, slot: Slot): void {
    const start = windowOf(slot.start, tier.widthMs);
    let target = tier.slots.get(start);
    if (target === undefined) {
      target = { start, table: new RollupTable(tier.widthMs), counts: emptyCounts() };
      tier.slots.set(start, target);
    }
    const before = target.table.size;
    for (const cell of slot.table.cellsNow()) target.table.mergeLive(cell, start);
    this.#cells += target.table.size - before;
    for (const [key, n] of slot.counts.statusCodes) bump(target.counts.statusCodes, key, n);
    for (const [key, n] of slot.counts.userAgentKinds) bump(target.counts.userAgentKinds, key, n);
    for (const [key, n] of slot.counts.userAgentFamilies) bump(target.counts.userAgentFamilies, key, n);
  }

  #dropOldest(): void {
    // Oldest first: minutes, then 10 s, then seconds; within a tier, the map's first key is the
    // oldest (a clock step back aside). The current second always stays.
    for (let i = this.#tiers.length - 1; i >= 0 && this.#cells > this.maxCells; i--) {
      const tier = this.#tiers[i]!;
      for (const [start, slot] of tier.slots) {
        if (this.#cells <= this.maxCells || slot === this.#current) break;
        tier.slots.delete(start);
        this.#cells -= slot.table.size;
      }
    }
  }
}
