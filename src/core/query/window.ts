// Turns a requested time window into the one a query runs on: aligned, with a resolution and a step.
import { MINUTE_MS } from '../rollup.ts';

export { MINUTE_MS };
export const HOUR_MS = 3_600_000;

/** Start of the hour `time` (ms since the epoch) falls in. */
export function hourOf(time: number): number {
  return time - (time % HOUR_MS);
}
/** Bound on buckets per timeseries, so a hostile `step` can't ask for millions of points. */
export const MAX_POINTS = 10_000;
/** What a default step aims at: enough points for a wide chart, few enough to draw instantly. */
const TARGET_POINTS = 360;
const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1_440, 10_080].map((m) => m * MINUTE_MS);

export type Resolution = 'minute' | 'hour';

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
  step: number;
  resolution: Resolution;
}

export interface PlanOptions {
  now: number;
  /** How long minute rollups are kept; older windows are answered from hourly rollups. */
  minuteRetentionMs: number;
}

/**
 * Aligns a window and picks its resolution: minutes while the window lies within minute
 * retention and the step is finer than an hour, hours otherwise. Throws a RangeError whose
 * message names the parameter when the request can't be answered.
 *
 * @example
 * planWindow({ from: now - 86_400_000 }, { now, minuteRetentionMs: 48 * 3_600_000 });
 * // → { from, to, step: 300_000, resolution: 'minute' }
 */
export function planWindow(request: WindowRequest, options: PlanOptions): QueryWindow {
  const to = request.to ?? options.now;
  const from = request.from ?? to - HOUR_MS;
  if (!Number.isSafeInteger(from) || from < 0) throw new RangeError('from: expected a time in ms since the epoch');
  if (!Number.isSafeInteger(to) || to < 0) throw new RangeError('to: expected a time in ms since the epoch');
  if (from >= to) throw new RangeError('from: expected from < to');
  if (request.step !== undefined && (!Number.isSafeInteger(request.step) || request.step < MINUTE_MS)) {
    throw new RangeError(`step: expected an integer number of ms ≥ ${MINUTE_MS}`);
  }
  const coarseStep = request.step !== undefined && request.step % HOUR_MS === 0;
  const resolution: Resolution = from < options.now - options.minuteRetentionMs || coarseStep ? 'hour' : 'minute';
  const unit = resolution === 'hour' ? HOUR_MS : MINUTE_MS;
  const alignedFrom = Math.floor(from / unit) * unit;
  const alignedTo = Math.ceil(to / unit) * unit;
  const span = alignedTo - alignedFrom;
  const step = request.step ?? defaultStep(span, unit);
  if (step % unit !== 0) {
    throw new RangeError(`step: expected a multiple of ${unit} ms for this window (it is answered from ${resolution} rollups)`);
  }
  if (Math.ceil(span / step) > MAX_POINTS) {
    throw new RangeError(`step: ${step} ms gives more than ${MAX_POINTS} points for this window; use a larger step`);
  }
  return { from: alignedFrom, to: alignedTo, step, resolution };
}

function defaultStep(span: number, unit: number): number {
  for (const step of NICE_STEPS) {
    if (step >= unit && step % unit === 0 && span / step <= TARGET_POINTS) return step;
  }
  return Math.ceil(span / TARGET_POINTS / unit) * unit;
}
