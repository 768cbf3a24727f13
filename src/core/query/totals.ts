// The figures every summary and route row carries, computed one way from an aggregate.
import { errorRateOf, latencyOf, type Aggregate, type Latency } from './aggregate.ts';
import { apdexOf } from './apdex.ts';
import { atMostTotal } from '../value-bounds.ts';

export interface Totals {
  requests: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  /** 4xx responses. */
  clientErrors: number;
  /** errors / requests (0..1); null without requests. */
  errorRate: number | null;
  /** requests / seconds of time the window's data covers (see QueryWindow.until); 0 when it covers none. */
  rps: number;
  /** ms; avg and max exact, percentiles within 1 %; null without requests. */
  latency: Latency;
  /** 0..1; null without requests. */
  apdex: number | null;
}

export function totalsOf(total: Aggregate, seconds: number, apdexThresholdMs: number): Totals {
  return {
    // Counts saturate (value-bounds.ts); rates stay those of the sums, within a double's rounding of
    // the true figure, where ones of saturated counts would not be (errors over requests, only one capped).
    requests: atMostTotal(total.requests),
    errors: atMostTotal(total.errors),
    clientErrors: atMostTotal(total.clientErrors),
    errorRate: errorRateOf(total),
    rps: seconds > 0 ? total.requests / seconds : 0,
    latency: latencyOf(total),
    apdex: apdexOf(total, apdexThresholdMs),
  };
}
