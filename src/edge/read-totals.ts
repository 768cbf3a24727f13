// The totals a rollup read gives (summary, live tiles, route rows, timeseries buckets), at most
// MAX_TOTAL as every stored one is (core/value-bounds.ts). Each stored row saturates there, but a
// read adds up many rows (minutes, routes, shards), and past 2^53 − 1 a double's sum is no longer
// exact. Saturated once added up, nothing stored is changed, and the figure is exact: below
// MAX_TOTAL every partial sum of whole counts is exact, and once past it a sum of non-negative terms
// never rounds back under it, so min(sum, MAX_TOTAL) is min(true sum, MAX_TOTAL).
// Rates (errorRate, rps) and latencies are not totals: they stay those of the sums, within a
// double's rounding of the true figure, where ones of saturated totals would not be (errors over
// requests with only requests saturated).
import type { Timeseries, TimeseriesColumn } from '../core/query/timeseries.ts';
import type { Totals } from '../core/query/totals.ts';
import { MAX_TOTAL } from '../core/value-bounds.ts';

/** The timeseries columns that are sums of counts. */
const TOTAL_COLUMNS: readonly TimeseriesColumn[] = ['requests', 'errors', 'clientErrors', 'bytes', '1xx', '2xx', '3xx', '4xx', '5xx'];

function atMostTotal(value: number): number {
  return value > MAX_TOTAL ? MAX_TOTAL : value;
}

/** A summary's or route row's totals, saturated. */
export function saturatedTotals<T extends Totals>(totals: T): T {
  return { ...totals, requests: atMostTotal(totals.requests), errors: atMostTotal(totals.errors), clientErrors: atMostTotal(totals.clientErrors) };
}

/** Every count column of a timeseries, saturated bucket by bucket. */
export function saturatedSeries<T extends Timeseries>(series: T): T {
  const out = { ...series };
  for (const name of TOTAL_COLUMNS) {
    const column = series[name];
    if (column !== undefined) out[name] = column.map((value) => (value === null ? null : atMostTotal(value)));
  }
  return out;
}
