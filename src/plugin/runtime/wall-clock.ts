// The offset from performance.now() to the wall clock (ms since the epoch), for the times of rollups,
// detail records and spans. performance.timeOrigin is that offset to the microsecond, but taken once
// at the start, and the system clock, which the edge and the other services read, drifts and steps
// (NTP, a VM paused). Date.now() follows it in whole milliseconds: an offset taken from one reading
// at each profile moved every span of a process by up to a millisecond, and spans of two services
// on one host fell out of order (a review). So the offset stays as it is while each reading agrees
// with it; when one does not, it becomes timeOrigin if the readings since the clock last moved allow
// that, else the middle of what they allow.

export class WallClock {
  /** The offset in use. */
  offset = performance.timeOrigin;
  /** Bounds on the offset from the readings since the clock last moved (they overlap while it holds still). */
  #low = Number.NEGATIVE_INFINITY;
  #high = Number.POSITIVE_INFINITY;

  /** Reads the wall clock once; returns the offset, moved only when the readings call for it. */
  follow(): number {
    const before = performance.now();
    const wall = Date.now();
    const after = performance.now();
    // Date.now() is the true wall time at some instant between the two reads, cut to the millisecond.
    const low = wall - after;
    const high = wall + 1 - before;
    if (Math.max(low, this.#low) <= Math.min(high, this.#high)) {
      this.#low = Math.max(low, this.#low);
      this.#high = Math.min(high, this.#high);
    } else {
      // The clock moved (a step, or drift past the bounds): from this reading on.
      this.#low = low;
      this.#high = high;
    }
    // Moved only when this reading contradicts it: an offset that stays puts no jitter between the
    // times of one process (a child span before its parent by a fraction of a millisecond).
    if (this.offset < low || this.offset > high) {
      const origin = performance.timeOrigin;
      this.offset = origin >= this.#low && origin <= this.#high ? origin : (this.#low + this.#high) / 2;
    }
    return this.offset;
  }
}

/** The process's one clock: the recorder, its profiler and the explicit tracer read the same offset. */
export const wallClock = new WallClock();
