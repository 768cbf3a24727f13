// Physical bounds on the numbers a batch may carry, and saturating sums of them: whatever a sender
// sends and however many batches merge into one stored row, every total stays finite (and every
// count an exact integer), so no read can end in Infinity or NaN.

const DAY_MS = 86_400_000;

/**
 * Longest duration (ms) of a request, span, sample or event-loop lag: 30 days. The edge refuses
 * data older than its batch age (7 days by default), so nothing it can still be sent ran longer.
 */
export const MAX_DURATION_MS = 30 * DAY_MS;

/**
 * Most requests one rollup cell (one minute, route, method and status class of one instance) may
 * count: 2^40, a minute of 18 billion requests a second.
 */
export const MAX_CELL_COUNT = 2 ** 40;

/** Stored totals (counts, errors, bytes) saturate here: the largest integer a double holds exactly. */
export const MAX_TOTAL = Number.MAX_SAFE_INTEGER;

/** Stored sums of durations saturate here: MAX_TOTAL requests of MAX_DURATION_MS each. */
export const MAX_DURATION_SUM = MAX_TOTAL * MAX_DURATION_MS;

/**
 * A cell's duration sum may pass count × max by this fraction: float rounding of a sum of n
 * terms stays below n × 2^−53 of it, far below this for any count a minute can hold.
 */
export const SUM_TOLERANCE = 1e-6;

/**
 * A total a read adds up from many rows (minutes, routes, shards), at most MAX_TOTAL as every stored
 * one is. Exact: below MAX_TOTAL every partial sum of whole counts is exact, and past it a sum of
 * non-negative terms never rounds back under, so this is min(true sum, MAX_TOTAL). Two batches of
 * 2^40-count cells had read as 10995116277760104 (a review).
 */
export function atMostTotal(total: number): number {
  return total > MAX_TOTAL ? MAX_TOTAL : total;
}

/** a + b, at most `max`. */
export function saturatingAdd(a: number, b: number, max: number = MAX_TOTAL): number {
  const sum = a + b;
  return sum > max ? max : sum;
}
