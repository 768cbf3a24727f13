// Apdex from quantile sketches: (satisfied + tolerating / 2) / requests, errors counted as frustrated.
import type { QuantileSketch } from '../sketch.ts';
import type { Aggregate } from './aggregate.ts';

/** The default Apdex threshold T in ms: satisfied ≤ T, tolerating ≤ 4T, frustrated above or on error. */
export const DEFAULT_APDEX_THRESHOLD_MS = 500;

/**
 * How many of the sketch's values are ≤ `limit`. The sketch answers the value of every rank within
 * 1 %, so the count is exact except for requests whose duration lies within 1 % of `limit`.
 * Binary search over ranks: O(log n) quantile look-ups.
 */
export function countAtMost(sketch: QuantileSketch, limit: number): number {
  const n = sketch.count;
  if (n === 0 || sketch.min > limit) return 0;
  if (sketch.max <= limit) return n;
  // Invariant: the value at rank `low` is ≤ limit, the value at rank `high` is > limit.
  let low = 0;
  let high = n - 1;
  while (high - low > 1) {
    // Not (low + high) / 2: past 2^53 that sum rounds, and the search could stand still.
    const middle = low + Math.floor((high - low) / 2);
    if (valueAtRank(sketch, middle) <= limit) low = middle;
    else high = middle;
  }
  return low + 1;
}

/** The sketch's estimate of the value at 0-based rank k (0 < k < count − 1 here). */
function valueAtRank(sketch: QuantileSketch, k: number): number {
  // The sketch looks up rank q·(count−1); aiming half a rank above k keeps float rounding from
  // landing on k − 1.
  return sketch.quantile((k + 0.5) / (sketch.count - 1));
}

/**
 * Apdex of an aggregate with threshold T (ms), or null when there were no requests.
 * Requests counted as errors are frustrated whatever their duration. The non-error requests of a
 * cell that mixes both (never produced by the bun-apm recorder, where an error is a 5xx cell) are
 * rated by that cell's sketch, scaled to their share of the cell.
 */
export function apdexOf(aggregate: Aggregate, thresholdMs = DEFAULT_APDEX_THRESHOLD_MS): number | null {
  if (aggregate.requests === 0) return null;
  let satisfied = countAtMost(aggregate.okSketch, thresholdMs);
  let tolerating = countAtMost(aggregate.okSketch, 4 * thresholdMs) - satisfied;
  for (const cell of aggregate.mixed) {
    const share = (cell.count - cell.errors) / cell.count;
    const s = countAtMost(cell.sketch, thresholdMs);
    satisfied += s * share;
    tolerating += (countAtMost(cell.sketch, 4 * thresholdMs) - s) * share;
  }
  // Over the sketches' counts, which are the requests' own until they saturate at 2^53 − 1 and then
  // stay in step with the counts above: summed requests ran on past them, and crafted totals gave
  // an app whose every request took 1 ms an Apdex of 0.55 (a review).
  const rated = aggregate.okSketch.count + aggregate.errorSketch.count;
  return rated === 0 ? null : Math.min(1, (satisfied + tolerating / 2) / rated);
}
