// The data rules are evaluated over: the same shape whether it comes from the edge's stored rollups
// and profiles or from an app's own detail records, so both hosts compute values with one formula.
import { minuteOf } from '../rollup.ts';
import type { QuantileSketch } from '../sketch.ts';
import type { DetailSample } from '../wire-format.ts';
import { resolveRule, type AlertRule, type AlertSample } from './rule.ts';

// AlertSample lives in rule.ts (a custom evaluator's argument): rule.ts needs nothing from here.
export type { AlertSample } from './rule.ts';

/**
 * One rollup cell. Both `LiveCell` (sketch as an object) and the wire `RollupCell` (sketch as
 * base64) fit; a base64 sketch is decoded only if a percentile rule needs it.
 */
export interface AlertCell {
  /** Start of the cell's minute (ms since the epoch). */
  minute: number;
  method: string;
  route: string;
  statusClass?: string;
  count: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  durationSum: number;
  sketch: QuantileSketch | string;
}

/** A system profile point (`SystemProfile` fits); fields a host doesn't measure may be absent. */
export interface AlertProfile {
  timestamp: number;
  /** Which process it was measured in; absent = one unnamed instance. */
  instance?: string;
  rss?: number;
  cpuPercent?: number;
  eventLoopLagMs?: number;
}

/** Everything one evaluation tick may read. Each list may hold more than the rules need; the engine picks each rule's window. */
export interface AlertData {
  cells: readonly AlertCell[];
  profiles: readonly AlertProfile[];
  /** Detail records for custom evaluators (sampled: only what the app kept). */
  samples: readonly AlertSample[];
  /** Instance → the last time data arrived from it (heartbeat rules). */
  lastSeen: Readonly<Record<string, number>>;
  /** When counting began, if the data holds nothing before it (in-process: when alerting started). */
  since?: number;
  /** Whole hours given as hour cells, in place of their minutes in `cells` (the edge's rollup_hour rows). */
  hours?: HourCells;
}

/**
 * Hours given as one cell per method, route and status class. For each hour listed, its cells
 * stand for minutes that `cells` leaves out (it may still hold other minutes of it: another
 * shard's); a window that starts or ends inside such an hour reads those minutes from `minutesOf`.
 */
export interface HourCells {
  /** Start times of the hours, ascending. */
  hours: readonly number[];
  /** Their cells; each cell's `minute` is its hour's start. */
  cells: readonly AlertCell[];
  /** The minute cells one of `hours` stands for (read when a window needs part of the hour). */
  minutesOf(hour: number): readonly AlertCell[];
}

/**
 * Where a rule's window starts: the start of the minute containing `now − duration`. The window
 * is [windowStart, now], every rollup minute that overlaps the last `duration` ms, so a one-minute
 * rule evaluated at 12:05:30 reads the whole 12:04 minute and 12:05 so far.
 */
export function windowStart(now: number, durationMs: number): number {
  return minuteOf(now - durationMs);
}

/** The earliest time any enabled rule reads at `now`: the edge loads cells, profiles and samples from here on. */
export function requiredSince(rules: readonly AlertRule[], now: number): number {
  let since = now;
  for (const rule of rules) {
    const resolved = resolveRule(rule);
    if (resolved.enabled && rule.metric !== 'heartbeat') since = Math.min(since, windowStart(now, resolved.duration));
  }
  return since;
}

/** A stored detail record as a custom evaluator sees it (the spec calls the duration `responseTime`). */
export function sampleFromDetail(sample: DetailSample): AlertSample {
  const { duration, ...rest } = sample;
  return { ...rest, responseTime: duration };
}
