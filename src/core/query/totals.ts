// The figures every summary and route row carries, computed one way from an aggregate.
import { errorRateOf, latencyOf, type Aggregate, type Latency } from './aggregate.ts';
import { apdexOf } from './apdex.ts';

export interface Totals {
  requests: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  /** 4xx responses. */
  clientErrors: number;
  /** errors / requests (0..1); null without requests. */
  errorRate: number | null;
  /** requests / window length in seconds. */
  rps: number;
  /** ms; avg and max exact, percentiles within 1 %; null without requests. */
  latency: Latency;
  /** 0..1; null without requests. */
  apdex: number | null;
}

export function totalsOf(total: Aggregate, seconds: number, apdexThresholdMs: number): Totals {
  return {
    requests: total.requests,
    errors: total.errors,
    clientErrors: total.clientErrors,
    errorRate: errorRateOf(total),
    rps: total.requests / seconds,
    latency: latencyOf(total),
    apdex: apdexOf(total, apdexThresholdMs),
  };
}
