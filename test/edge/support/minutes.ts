// Minutes relative to the clock, for tests that write or tick a given minute of the edge.
import { MINUTE_MS, minuteOf } from '../../../src/core/rollup.ts';

/** The start of a minute `minutesAgo` before now: batches that old are accepted, and the tests' ticks are in the past. */
export const minuteAgo = (minutesAgo: number): number => minuteOf(Date.now()) - minutesAgo * MINUTE_MS;
