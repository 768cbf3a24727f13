// The summary of an app over a window: the numbers at the top of a dashboard and of the export API.
import type { LiveCell } from '../rollup.ts';
import { addCell, emptyAggregate, errorRateOf, latencyOf, type Latency } from './aggregate.ts';
import { apdexOf, DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';

export interface Summary {
  app: string;
  /** ms since the epoch, inclusive. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
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
  apdexThresholdMs: number;
}

export interface SummaryOptions {
  app: string;
  from: number;
  to: number;
  apdexThresholdMs?: number;
}

/**
 * Sums the cells whose minute lies in [from, to). Cells outside are ignored, so a caller may
 * pass more than the window.
 *
 * @example
 * summarise(cells, { app: 'shop', from, to }).latency.p95
 */
export function summarise(cells: Iterable<LiveCell>, options: SummaryOptions): Summary {
  const total = emptyAggregate();
  for (const cell of cells) {
    if (cell.minute >= options.from && cell.minute < options.to) addCell(total, cell);
  }
  const apdexThresholdMs = options.apdexThresholdMs ?? DEFAULT_APDEX_THRESHOLD_MS;
  return {
    app: options.app,
    from: options.from,
    to: options.to,
    requests: total.requests,
    errors: total.errors,
    clientErrors: total.clientErrors,
    errorRate: errorRateOf(total),
    rps: total.requests / ((options.to - options.from) / 1000),
    latency: latencyOf(total),
    apdex: apdexOf(total, apdexThresholdMs),
    apdexThresholdMs,
  };
}
