// Turns a requested time window into the one a query runs on: aligned, with a resolution, a step,
// and the time its data covers (what every rate divides by).
import { MINUTE_MS, TEN_SECONDS_MS } from '../rollup.ts';

export { MINUTE_MS, TEN_SECONDS_MS };
export const HOUR_MS = 3_600_000;

/** Start of the hour `time` (ms since the epoch) falls in. */
export function hourOf(time: number): number {
  return time - (time % HOUR_MS);
}
/** Bound on buckets per timeseries, so a hostile `step` can't ask for millions of points. */
export const MAX_POINTS = 10_000;
/** What a default step aims at: enough points for a wide chart, few enough to draw instantly. */
const TARGET_POINTS = 360;
const NICE_STEPS = [
  TEN_SECONDS_MS, 2 * TEN_SECONDS_MS, 3 * TEN_SECONDS_MS,
  ...[1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1_440, 10_080].map((m) => m * MINUTE_MS),
];

/** The tables rollups are kept in, finest first: 10-second cells, minutes, hours. */
export type Resolution = '10s' | 'minute' | 'hour';
export const RESOLUTION_MS: Record<Resolution, number> = { '10s': TEN_SECONDS_MS, minute: MINUTE_MS, hour: HOUR_MS };
const FINEST_FIRST: readonly Resolution[] = ['10s', 'minute', 'hour'];

export interface WindowRequest {
  /** ms since the epoch; default `to` − 1 h. */
  from?: number;
  /** ms since the epoch; default now. */
  to?: number;
  /** Bucket width in ms for timeseries; default: a round step giving ≤ ~360 buckets. */
  step?: number;
}

export interface QueryWindow {
  /** Aligned down to the resolution. */
  from: number;
  /** Aligned up to the resolution; exclusive. */
  to: number;
  /**
   * The end of the time the data covers: `to`, or now when `to` lies ahead. Every rate divides by
   * `until − from`; a bucket starting at or after it has no data yet (null, not zero).
   */
  until: number;
  step: number;
  resolution: Resolution;
}

export interface PlanOptions {
  now: number;
  /** How long 10-second rollups are kept; older windows are answered from minutes. 0: none kept. */
  tenSecondRetentionMs: number;
  /** How long minute rollups are kept; older windows are answered from hourly rollups. */
  minuteRetentionMs: number;
}

/** The latest time a Date holds: a window's end aligned up to the hour stays a time, and a safe integer (a review saw `to` answered as 9007199254800000). */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * `from` and `to` as asked, `to` defaulting to now and `from` to an hour before `to`; a RangeError
 * naming the parameter at fault (a `to` under an hour with no `from` is `to`'s: `from` was not sent).
 */
export function checkedWindow(askedFrom: number | undefined, askedTo: number | undefined, now: number): { from: number; to: number } {
  const time = `expected a time in ms since the epoch, 0..${MAX_TIME_MS}`;
  const to = askedTo ?? now;
  if (!Number.isSafeInteger(to) || to < 0 || to > MAX_TIME_MS) throw new RangeError(`to: ${time}`);
  if (askedFrom === undefined && to < HOUR_MS) throw new RangeError(`to: expected at least ${HOUR_MS} without from (from is then an hour before to)`);
  const from = askedFrom ?? to - HOUR_MS;
  if (!Number.isSafeInteger(from) || from < 0 || from > MAX_TIME_MS) throw new RangeError(`from: ${time}`);
  if (from >= to) throw new RangeError('from: expected from < to');
  return { from, to };
}

/**
 * Aligns a window and picks its resolution: the finest table whose retention covers `from` gives
 * the default step (10 s for the last hour, minutes for a day, hours beyond minute retention); the
 * query then runs on the coarsest table whose unit divides the step, since it holds the same sums
 * in fewer rows. Throws a RangeError whose message names the parameter when the request can't be
 * answered.
 *
 * @example
 * planWindow({ from: now - 3_600_000 }, { now, tenSecondRetentionMs: 3 * 3_600_000, minuteRetentionMs: 48 * 3_600_000 });
 * // → { from, to, until: now, step: 10_000, resolution: '10s' }
 */
export function planWindow(request: WindowRequest, options: PlanOptions): QueryWindow {
  const { from, to } = checkedWindow(request.from, request.to, options.now);
  if (request.step !== undefined && (!Number.isSafeInteger(request.step) || request.step < TEN_SECONDS_MS)) {
    throw new RangeError(`step: expected an integer number of ms ≥ ${TEN_SECONDS_MS}`);
  }
  const finest = finestCovering(from, options);
  const finestUnit = RESOLUTION_MS[finest];
  let step = request.step;
  if (step === undefined) {
    // The span asked, not the aligned one: an hour not on a 10 s boundary covers 361 cells, and
    // would get 20 s steps where an aligned hour gets 10 s.
    step = defaultStep(Math.ceil((to - from) / finestUnit) * finestUnit, finestUnit);
  } else if (step % finestUnit !== 0) {
    throw new RangeError(`step: expected a multiple of ${finestUnit} ms for this window (it is answered from ${finest} rollups)`);
  }
  const resolution = coarsestDividing(step, finest);
  const unit = RESOLUTION_MS[resolution];
  const alignedFrom = Math.floor(from / unit) * unit;
  const alignedTo = Math.ceil(to / unit) * unit;
  if (Math.ceil((alignedTo - alignedFrom) / step) > MAX_POINTS) {
    throw new RangeError(`step: ${step} ms gives more than ${MAX_POINTS} points for this window; use a larger step`);
  }
  return { from: alignedFrom, to: alignedTo, until: Math.max(alignedFrom, Math.min(alignedTo, options.now)), step, resolution };
}

/**
 * The finest table that still holds the window's first cell: the cell `from` falls in, which the
 * window is aligned down to, must be inside retention, not only `from` (a 10-second cell that began
 * before the horizon was never kept).
 */
function finestCovering(from: number, options: PlanOptions): Resolution {
  if (options.tenSecondRetentionMs > 0 && from - (from % TEN_SECONDS_MS) >= options.now - options.tenSecondRetentionMs) return '10s';
  if (from - (from % MINUTE_MS) >= options.now - options.minuteRetentionMs) return 'minute';
  return 'hour';
}

/** The coarsest table, no finer than `finest`, whose unit divides `step`. */
function coarsestDividing(step: number, finest: Resolution): Resolution {
  let chosen = finest;
  for (const resolution of FINEST_FIRST.slice(FINEST_FIRST.indexOf(finest))) {
    if (step % RESOLUTION_MS[resolution] === 0) chosen = resolution;
  }
  return chosen;
}

function defaultStep(span: number, unit: number): number {
  for (const step of NICE_STEPS) {
    if (step >= unit && step % unit === 0 && span / step <= TARGET_POINTS) return step;
  }
  return Math.ceil(span / TARGET_POINTS / unit) * unit;
}

/** Seconds of data a window covers: what its rates divide by (0 for a window wholly ahead). */
export function coveredSeconds(window: Pick<QueryWindow, 'from' | 'until'>): number {
  return Math.max(0, window.until - window.from) / 1000;
}
