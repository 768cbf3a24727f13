// Adaptive sampling: a token bucket that caps how many requests per second keep detail (or get
// traced), so detail costs a fixed budget whatever the traffic: everything on a quiet app, a
// trickle under load. Counts never depend on it (every request is counted in the rollups).
//
// The bucket is kept as a theoretical arrival time (GCRA), so the usual answer under load, "no",
// is one comparison of the request's clock against a precomputed threshold.
import type { SamplingPolicy } from './wire-format.ts';

/** One line: `detail ≤ 10/s (fair across routes), traces ≤ 1/s, callers' traces ≤ 10/s`. */
export function describeSampling(policy: SamplingPolicy): string {
  const detail = policy.sampleRate !== undefined ? `detail ${policy.sampleRate} of requests` : `detail ≤ ${policy.samplesPerSecond}/s${policy.routeFairness ? ' (fair across routes)' : ''}`;
  const traces = policy.traceSampleRate !== undefined ? `traces ${policy.traceSampleRate} of requests` : `traces ≤ ${policy.tracesPerSecond}/s`;
  return `${detail}, ${traces}, callers' traces ≤ ${policy.parentTracesPerSecond}/s`;
}

/**
 * Per-route fairness: a hot route may only take a token while the bucket holds more than its
 * reserve; a route that has had nothing in the last `burst / perSecond` seconds may take the
 * reserve too. A hot route alone still gets the whole rate (it just runs the bucket at the
 * higher water mark), and a rare route is never starved by it.
 */
export interface RouteTokens {
  /** Clock (ms) before which this route counts as recently sampled. */
  recentUntil: number;
}

export class RateSampler {
  /** Requests refused for want of a token. */
  refused = 0;
  readonly perSecond: number;
  readonly burst: number;
  readonly #interval: number;
  /** Clock (ms) from which any request may take a token (at least one token in the bucket). */
  #anyAt: number;
  /** Clock (ms) from which a recently sampled route may take one (more than the reserve left). */
  #hotAt: number;
  /** Theoretical arrival time: when the bucket would be full again minus one interval. */
  #tat: number;
  readonly #anySlack: number;
  readonly #hotSlack: number;
  readonly #window: number;

  /**
   * @example
   * const sampler = new RateSampler(10); // 10 per second, bursts of 10, half kept for rare routes
   * if (sampler.take(performance.now(), routeTokens)) keepDetail();
   */
  constructor(perSecond: number, burst = Math.max(2, Math.ceil(perSecond))) {
    if (!(perSecond >= 0) || !Number.isFinite(perSecond)) throw new RangeError(`per second: expected a number ≥ 0, got ${perSecond}`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst: expected an integer ≥ 1, got ${burst}`);
    this.perSecond = perSecond;
    this.burst = burst;
    this.#interval = perSecond > 0 ? 1000 / perSecond : Infinity;
    const reserve = Math.floor(burst / 2);
    this.#anySlack = perSecond > 0 ? (burst - 1) * this.#interval : 0;
    this.#hotSlack = perSecond > 0 ? (burst - 1 - reserve) * this.#interval : 0;
    this.#window = perSecond > 0 ? burst * this.#interval : 0;
    // Starts full: a quiet app's first requests all keep detail.
    this.#tat = perSecond > 0 ? -Infinity : Infinity;
    this.#anyAt = this.#tat;
    this.#hotAt = this.#tat;
  }

  /**
   * Takes a token at `now` (ms, monotonic) for a request of `route` (omit for no fairness);
   * false when refused (counted).
   */
  take(now: number, route?: RouteTokens): boolean {
    if (now < this.#anyAt) {
      this.refused++;
      return false;
    }
    if (now < this.#hotAt && route !== undefined && now < route.recentUntil) {
      this.refused++;
      return false;
    }
    const tat = this.#tat > now ? this.#tat : now;
    this.#tat = tat + this.#interval;
    this.#anyAt = this.#tat - this.#anySlack;
    this.#hotAt = this.#tat - this.#hotSlack;
    if (route !== undefined) route.recentUntil = now + this.#window;
    return true;
  }

  /** Returns the last token taken (its request turned out not to need it). */
  giveBack(): void {
    if (this.perSecond === 0) return;
    this.#tat -= this.#interval;
    this.#anyAt = this.#tat - this.#anySlack;
    this.#hotAt = this.#tat - this.#hotSlack;
  }

  /** Whether a request at `now` would be refused whatever its route: the cheap first check. */
  refuses(now: number): boolean {
    return now < this.#anyAt;
  }
}
