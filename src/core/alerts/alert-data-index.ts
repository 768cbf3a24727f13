// One tick's data, indexed once: rules that share a window or a route filter share the merging
// work (per-minute, per-hour and per-window aggregates are memoised), and base64 sketches are
// decoded only when a percentile rule reads them. With a SketchCache, decoded cells and merged
// minutes and hours are also kept from one tick to the next: a day's window merges its 24 hours
// and the minutes at either end, not 1,440 minutes, at every tick. Hours may come as hour cells
// (the edge's rollup_hour rows: AlertData.hours); their minutes are read only for a window that
// starts or ends inside them.
import { QuantileSketch } from '../sketch.ts';
import type { AlertCell, AlertData, AlertProfile, AlertSample } from './alert-data.ts';
import { CellsByTime } from './cells-by-time.ts';
import type { SketchCache } from './sketch-cache.ts';

/** Counts over a set of cells; the merged latency sketch on demand (read-only: it may be cached). */
export interface RequestAggregate {
  readonly count: number;
  readonly errors: number;
  readonly durationSum: number;
  sketch(): QuantileSketch;
}

class Aggregate implements RequestAggregate {
  count = 0;
  errors = 0;
  durationSum = 0;
  private merged: QuantileSketch | undefined;

  constructor(
    private readonly parts: () => Iterable<QuantileSketch>,
    private readonly cached?: { cache: SketchCache; minute: number; key: () => string },
  ) {}

  sketch(): QuantileSketch {
    if (this.merged !== undefined) return this.merged;
    const key = this.cached?.key();
    this.merged = key === undefined ? undefined : this.cached!.cache.get(this.cached!.minute, key);
    if (this.merged === undefined) {
      const parts = [...this.parts()];
      // One part is its own merge: share it instead of copying (aggregates are read-only).
      if (parts.length === 1) return (this.merged = parts[0]!);
      this.merged = new QuantileSketch();
      for (const part of parts) this.merged.merge(part);
      if (key !== undefined) this.cached!.cache.set(this.cached!.minute, key, this.merged);
    }
    return this.merged;
  }
}

/** The parts' counts summed; their sketches merged when first read. */
function sumOf(parts: readonly Aggregate[], cached?: ConstructorParameters<typeof Aggregate>[1]): Aggregate {
  const aggregate = new Aggregate(() => parts.map((part) => part.sketch()), cached);
  for (const part of parts) {
    aggregate.count += part.count;
    aggregate.errors += part.errors;
    aggregate.durationSum += part.durationSum;
  }
  return aggregate;
}

const ANY = '*';
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The list itself when already in time order (as a store returns it), else a sorted copy. */
function byTime<T extends { timestamp: number }>(items: readonly T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (items[i]!.timestamp < items[i - 1]!.timestamp) return [...items].sort((a, b) => a.timestamp - b.timestamp);
  }
  return items as T[];
}

/** First index whose key is ≥ value, in items sorted by key. */
export function lowerBound<T>(items: readonly T[], key: (item: T) => number, value: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class AlertDataIndex {
  /** Times a window visits, ascending: each minute with cells, and the start of each hour given as hour cells. */
  private slots: number[];
  private readonly minuteCells: CellsByTime;
  /** Minutes of hours given as hour cells, brought in for windows that start or end inside them (see needMinutes). */
  private readonly broughtIn = new CellsByTime();
  private readonly hourCells: CellsByTime;
  private readonly asHours: ReadonlySet<number>;
  private readonly minutesBroughtIn = new Set<number>();
  private readonly minutesOf: (hour: number) => readonly AlertCell[];
  private readonly minuteAggregates = new Map<number, Map<string, Aggregate>>();
  private readonly hourAggregates = new Map<string, Aggregate>();
  private readonly windowAggregates = new Map<string, Aggregate>();
  private readonly decoded = new Map<AlertCell, QuantileSketch>();
  private readonly profilesByTime: AlertProfile[];
  private readonly samplesByTime: AlertSample[];
  readonly lastSeen: Readonly<Record<string, number>>;
  readonly since: number | undefined;

  constructor(data: AlertData, private readonly cache?: SketchCache) {
    this.minuteCells = new CellsByTime(data.cells);
    const hours = data.hours;
    this.hourCells = new CellsByTime(hours?.cells);
    this.asHours = new Set(hours?.hours);
    this.minutesOf = hours === undefined ? () => [] : (hour) => hours.minutesOf(hour);
    this.slots = ascending([...this.minuteCells.times(), ...this.asHours]);
    this.profilesByTime = byTime(data.profiles);
    this.samplesByTime = byTime(data.samples);
    this.lastSeen = data.lastSeen;
    this.since = data.since;
  }

  /** Requests in cells starting within [start, end), optionally one route and/or method. */
  requests(start: number, end: number, route?: string, method?: string): RequestAggregate {
    const key = `${start} ${end} ${method ?? ANY} ${route ?? ANY}`;
    let aggregate = this.windowAggregates.get(key);
    if (aggregate !== undefined) return aggregate;
    this.needMinutes(start);
    this.needMinutes(end);
    // Whole hours inside the window are read as hours; the minutes at either end one by one.
    const parts: Aggregate[] = [];
    // A minute's cell holds its requests from its start on: one starting at `end` holds none before it.
    for (let i = this.firstSlot(start); i < this.slots.length && this.slots[i]! < end;) {
      const minute = this.slots[i]!;
      const hour = minute - (minute % HOUR);
      const whole = hour >= start && hour + HOUR <= end;
      const part = whole ? this.hour(hour, route, method) : this.minute(minute, route, method);
      if (part.count > 0) parts.push(part);
      i = whole ? this.firstSlot(hour + HOUR) : i + 1;
    }
    aggregate = sumOf(parts);
    this.windowAggregates.set(key, aggregate);
    return aggregate;
  }

  private firstSlot(from: number): number {
    return lowerBound(this.slots, (m) => m, from);
  }

  /**
   * A window that starts or ends inside an hour given as hour cells needs that hour minute by
   * minute: its minutes are brought in (a window holding the whole hour still reads its hour cells).
   */
  private needMinutes(time: number): void {
    const hour = time - (time % HOUR);
    if (time === hour || !this.asHours.has(hour) || this.minutesBroughtIn.has(hour)) return;
    this.minutesBroughtIn.add(hour);
    const times = new Set<number>();
    for (const cell of this.minutesOf(hour)) {
      this.broughtIn.add(cell);
      times.add(cell.minute);
    }
    // Defensive: a minute of this hour summed before now (a window reads a given hour whole, or after this) would lack them.
    for (let minute = hour; minute < hour + HOUR; minute += MINUTE) this.minuteAggregates.delete(minute);
    this.slots = ascending([...this.slots, ...times]);
  }

  private hour(hour: number, route: string | undefined, method: string | undefined): Aggregate {
    const key = `${hour} ${method ?? ANY} ${route ?? ANY}`;
    let aggregate = this.hourAggregates.get(key);
    if (aggregate !== undefined) return aggregate;
    const parts: Aggregate[] = [];
    const label = `${method ?? ANY} ${route ?? ANY}`;
    if (this.asHours.has(hour)) {
      // Its hour cells, and the minute cells the data holds of it besides (another shard's); not the minutes brought in.
      const others: AlertCell[] = [];
      for (let i = this.firstSlot(hour); i < this.slots.length && this.slots[i]! < hour + HOUR; i++) others.push(...this.minuteCells.at(this.slots[i]!, route, method));
      for (const part of [
        this.cellsAggregate(this.hourCells.at(hour, route, method), hour, `hour rows\n${label}`, 'hour cell'),
        this.cellsAggregate(others, hour, `hour's other minutes\n${label}`, 'cell'),
      ]) if (part.count > 0) parts.push(part);
    } else {
      for (let i = this.firstSlot(hour); i < this.slots.length && this.slots[i]! < hour + HOUR; i++) {
        const part = this.minute(this.slots[i]!, route, method);
        if (part.count > 0) parts.push(part);
      }
    }
    // Kept under the hour's first minute, signed by its content like a minute (a late batch changes it).
    const signature = () => `hour\n${label} ${parts.length} ${aggregate!.count} ${aggregate!.durationSum}`;
    aggregate = sumOf(parts, this.cache && { cache: this.cache, minute: hour, key: signature });
    this.hourAggregates.set(key, aggregate);
    return aggregate;
  }

  /** Profiles with timestamp within [start, end], oldest first. */
  profiles(start: number, end: number): AlertProfile[] {
    const from = lowerBound(this.profilesByTime, (p) => p.timestamp, start);
    const to = lowerBound(this.profilesByTime, (p) => p.timestamp, end + 1);
    return this.profilesByTime.slice(from, to);
  }

  /** Samples with timestamp within [start, end], oldest first; `route` matches the template, else the raw path. */
  samples(start: number, end: number, route?: string, method?: string): AlertSample[] {
    const from = lowerBound(this.samplesByTime, (s) => s.timestamp, start);
    const to = lowerBound(this.samplesByTime, (s) => s.timestamp, end + 1);
    const out: AlertSample[] = [];
    for (let i = from; i < to; i++) {
      const sample = this.samplesByTime[i]!;
      if (route !== undefined && (sample.route ?? sample.path) !== route) continue;
      if (method !== undefined && sample.method !== method) continue;
      out.push(sample);
    }
    return out;
  }

  private minute(minute: number, route: string | undefined, method: string | undefined): Aggregate {
    let aggregates = this.minuteAggregates.get(minute);
    if (aggregates === undefined) this.minuteAggregates.set(minute, (aggregates = new Map()));
    const label = `${method ?? ANY} ${route ?? ANY}`;
    let aggregate = aggregates.get(label);
    if (aggregate === undefined) {
      const given = this.minuteCells.at(minute, route, method);
      const cells = this.minutesBroughtIn.has(minute - (minute % HOUR)) ? [...given, ...this.broughtIn.at(minute, route, method)] : given;
      aggregate = this.cellsAggregate(cells, minute, label, 'cell');
      aggregates.set(label, aggregate);
    }
    return aggregate;
  }

  /** The cells' counts summed, their sketches merged on demand and cached under `time`, signed by `label` and their content. */
  private cellsAggregate(cells: readonly AlertCell[], time: number, label: string, kind: CellKind): Aggregate {
    const signature = () => `${label} ${cells.length} ${aggregate.count} ${aggregate.durationSum}`;
    const aggregate = new Aggregate(() => cells.map((cell) => this.sketchOf(cell, kind)), this.cache && { cache: this.cache, minute: time, key: signature });
    for (const cell of cells) {
      aggregate.count += cell.count;
      aggregate.errors += cell.errors;
      aggregate.durationSum += cell.durationSum;
    }
    return aggregate;
  }

  private sketchOf(cell: AlertCell, kind: CellKind): QuantileSketch {
    if (typeof cell.sketch !== 'string') return cell.sketch;
    let sketch = this.decoded.get(cell);
    if (sketch !== undefined) return sketch;
    // An hour cell is cached under its hour's first minute, apart from that minute's own cells.
    const key = `${kind} ${cell.method} ${cell.statusClass ?? ''} ${cell.route} ${cell.count} ${cell.durationSum}`;
    sketch = this.cache?.get(cell.minute, key);
    if (sketch === undefined) {
      sketch = QuantileSketch.fromBase64(cell.sketch);
      this.cache?.set(cell.minute, key, sketch);
    }
    this.decoded.set(cell, sketch);
    return sketch;
  }
}

type CellKind = 'cell' | 'hour cell';

/** Distinct times, ascending. */
function ascending(times: readonly number[]): number[] {
  return [...new Set(times)].sort((a, b) => a - b);
}
