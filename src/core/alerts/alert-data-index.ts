// One tick's data, indexed once: rules that share a window or a route filter share the merging
// work (per-minute, per-hour and per-window aggregates are memoised), and base64 sketches are
// decoded only when a percentile rule reads them. With a SketchCache, decoded cells and merged
// minutes and hours are also kept from one tick to the next: a day's window merges its 24 hours
// and the minutes at either end, not 1,440 minutes, at every tick.
import { QuantileSketch } from '../sketch.ts';
import type { AlertCell, AlertData, AlertProfile, AlertSample } from './alert-data.ts';
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
  /** Distinct cell start times, ascending. */
  private readonly minutes: number[];
  private readonly byMinute = new Map<number, AlertCell[]>();
  /** Per minute, its cells by route: built on the first route-filtered read of that minute only. */
  private readonly byMinuteAndRoute = new Map<number, Map<string, AlertCell[]>>();
  private readonly minuteAggregates = new Map<string, Aggregate>();
  private readonly hourAggregates = new Map<string, Aggregate>();
  private readonly windowAggregates = new Map<string, Aggregate>();
  private readonly decoded = new Map<AlertCell, QuantileSketch>();
  private readonly profilesByTime: AlertProfile[];
  private readonly samplesByTime: AlertSample[];
  readonly lastSeen: Readonly<Record<string, number>>;
  readonly since: number | undefined;

  constructor(data: AlertData, private readonly cache?: SketchCache) {
    for (const cell of data.cells) {
      const list = this.byMinute.get(cell.minute);
      if (list === undefined) this.byMinute.set(cell.minute, [cell]);
      else list.push(cell);
    }
    this.minutes = [...this.byMinute.keys()].sort((a, b) => a - b);
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
    // Whole hours inside the window are read as hours; the minutes at either end one by one.
    const parts: Aggregate[] = [];
    // A minute's cell holds its requests from its start on: one starting at `end` holds none before it.
    for (let i = this.firstMinute(start); i < this.minutes.length && this.minutes[i]! < end;) {
      const minute = this.minutes[i]!;
      const hour = minute - (minute % HOUR);
      const whole = hour >= start && hour + HOUR <= end;
      const part = whole ? this.hour(hour, route, method) : this.minute(minute, route, method);
      if (part.count > 0) parts.push(part);
      i = whole ? this.firstMinute(hour + HOUR) : i + 1;
    }
    aggregate = sumOf(parts);
    this.windowAggregates.set(key, aggregate);
    return aggregate;
  }

  private firstMinute(from: number): number {
    return lowerBound(this.minutes, (m) => m, from);
  }

  private hour(hour: number, route: string | undefined, method: string | undefined): Aggregate {
    const key = `${hour} ${method ?? ANY} ${route ?? ANY}`;
    let aggregate = this.hourAggregates.get(key);
    if (aggregate !== undefined) return aggregate;
    const parts: Aggregate[] = [];
    for (let i = this.firstMinute(hour); i < this.minutes.length && this.minutes[i]! < hour + HOUR; i++) {
      const part = this.minute(this.minutes[i]!, route, method);
      if (part.count > 0) parts.push(part);
    }
    // Kept under the hour's first minute, signed by its content like a minute (a late batch changes it).
    const signature = () => `hour\n${method ?? ANY} ${route ?? ANY} ${parts.length} ${aggregate!.count} ${aggregate!.durationSum}`;
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
    const key = `${minute} ${method ?? ANY} ${route ?? ANY}`;
    let aggregate = this.minuteAggregates.get(key);
    if (aggregate !== undefined) return aggregate;
    const candidates = route === undefined ? this.byMinute.get(minute)! : (this.routesOf(minute).get(route) ?? []);
    const cells = method === undefined ? candidates : candidates.filter((cell) => cell.method === method);
    const signature = () => `${method ?? ANY} ${route ?? ANY} ${cells.length} ${aggregate!.count} ${aggregate!.durationSum}`;
    aggregate = new Aggregate(() => cells.map((cell) => this.sketchOf(cell)), this.cache && { cache: this.cache, minute, key: signature });
    for (const cell of cells) {
      aggregate.count += cell.count;
      aggregate.errors += cell.errors;
      aggregate.durationSum += cell.durationSum;
    }
    this.minuteAggregates.set(key, aggregate);
    return aggregate;
  }

  private routesOf(minute: number): Map<string, AlertCell[]> {
    let routes = this.byMinuteAndRoute.get(minute);
    if (routes !== undefined) return routes;
    routes = new Map();
    for (const cell of this.byMinute.get(minute)!) {
      const list = routes.get(cell.route);
      if (list === undefined) routes.set(cell.route, [cell]);
      else list.push(cell);
    }
    this.byMinuteAndRoute.set(minute, routes);
    return routes;
  }

  private sketchOf(cell: AlertCell): QuantileSketch {
    if (typeof cell.sketch !== 'string') return cell.sketch;
    let sketch = this.decoded.get(cell);
    if (sketch !== undefined) return sketch;
    const key = `cell ${cell.method} ${cell.statusClass ?? ''} ${cell.route} ${cell.count} ${cell.durationSum}`;
    sketch = this.cache?.get(cell.minute, key);
    if (sketch === undefined) {
      sketch = QuantileSketch.fromBase64(cell.sketch);
      this.cache?.set(cell.minute, key, sketch);
    }
    this.decoded.set(cell, sketch);
    return sketch;
  }
}
