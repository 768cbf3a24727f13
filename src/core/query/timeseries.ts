// Timeseries in uPlot's columnar shape: one array of bucket times and one array per metric,
// equal lengths, empty buckets null. Shaped here so that a browser only draws.
import type { LiveCell } from '../rollup.ts';
import { addCell, emptyAggregate, errorRateOf, sketchOf, type Aggregate } from './aggregate.ts';
import { apdexOf, DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';
import { atMostTotal } from '../value-bounds.ts';

type Column = (bucket: Aggregate, seconds: number, apdexThresholdMs: number) => number | null;

/** Every column a timeseries can have, and how each is computed from a bucket; counts saturate (value-bounds.ts). */
export const TIMESERIES_COLUMNS = {
  requests: (b) => atMostTotal(b.requests),
  errors: (b) => atMostTotal(b.errors),
  clientErrors: (b) => atMostTotal(b.clientErrors),
  errorRate: (b) => errorRateOf(b),
  rps: (b, seconds) => b.requests / seconds,
  avg: (b) => (b.requests === 0 ? null : b.durationSum / b.requests),
  p50: (b) => sketchOf(b).quantile(0.5),
  p95: (b) => sketchOf(b).quantile(0.95),
  p99: (b) => sketchOf(b).quantile(0.99),
  max: (b) => b.durationMax,
  apdex: (b, _seconds, t) => apdexOf(b, t),
  bytes: (b) => atMostTotal(b.bytes),
  '1xx': (b) => atMostTotal(b.byClass['1xx']),
  '2xx': (b) => atMostTotal(b.byClass['2xx']),
  '3xx': (b) => atMostTotal(b.byClass['3xx']),
  '4xx': (b) => atMostTotal(b.byClass['4xx']),
  '5xx': (b) => atMostTotal(b.byClass['5xx']),
} satisfies Record<string, Column>;

export type TimeseriesColumn = keyof typeof TIMESERIES_COLUMNS;

/** Names that stand for several columns, for the `metric` parameter. */
export const METRIC_GROUPS: Record<string, TimeseriesColumn[]> = {
  latency: ['avg', 'p50', 'p95', 'p99', 'max'],
  percentiles: ['p50', 'p95', 'p99'],
  throughput: ['requests', 'rps'],
  failures: ['errors', 'clientErrors', 'errorRate'],
  statusClasses: ['1xx', '2xx', '3xx', '4xx', '5xx'],
};

/** `t`: bucket start times (ms since the epoch); every other key: one value per bucket or null. */
export type Timeseries = { t: number[] } & { [column in TimeseriesColumn]?: Array<number | null> };

export interface TimeseriesOptions {
  from: number;
  to: number;
  /** End of the time the data covers (default `to`): the bucket it cuts short divides its rate by what it covers. */
  until?: number;
  step: number;
  columns: readonly TimeseriesColumn[];
  apdexThresholdMs?: number;
}

/**
 * Buckets cells by their window's start into [from + i·step, from + (i+1)·step) and computes each
 * column per bucket. A bucket without cells is null in every column (no data, not zero); a rate
 * divides by the part of its bucket that lies before `to` and `until`.
 *
 * @example
 * timeseries(cells, { from, to, step: 60_000, columns: ['p50', 'p95'] });
 * // → { t: [...], p50: [...], p95: [...] }
 */
export function timeseries(cells: Iterable<LiveCell>, options: TimeseriesOptions): Timeseries {
  const { from, to, step } = options;
  if (!(step > 0) || !(to > from)) throw new RangeError('timeseries: expected step > 0 and from < to');
  const count = Math.ceil((to - from) / step);
  const buckets: Array<Aggregate | undefined> = new Array(count);
  for (const cell of cells) {
    if (cell.minute < from || cell.minute >= to) continue;
    const i = Math.floor((cell.minute - from) / step);
    addCell((buckets[i] ??= emptyAggregate()), cell);
  }
  const threshold = options.apdexThresholdMs ?? DEFAULT_APDEX_THRESHOLD_MS;
  const until = options.until ?? to;
  const out: Timeseries = { t: Array.from({ length: count }, (_, i) => from + i * step) };
  for (const name of options.columns) {
    const column: Column = TIMESERIES_COLUMNS[name];
    out[name] = out.t.map((start, i) => {
      const bucket = buckets[i];
      if (bucket === undefined) return null;
      // A bucket wholly after `until` holds data only when a sender's clock runs ahead: its full length then.
      const end = Math.min(start + step, to, until > start ? until : Infinity);
      const seconds = (end - start) / 1000;
      return column(bucket, seconds, threshold);
    });
  }
  return out;
}

/** Expands `metric=latency,requests` into distinct column names; throws naming an unknown one. */
export function parseColumns(metric: string): TimeseriesColumn[] {
  const out = new Set<TimeseriesColumn>();
  for (const raw of metric.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    // Own keys only: `toString` and friends are not metrics.
    const group = Object.hasOwn(METRIC_GROUPS, name) ? METRIC_GROUPS[name] : undefined;
    if (group) group.forEach((c) => out.add(c));
    else if (Object.hasOwn(TIMESERIES_COLUMNS, name)) out.add(name as TimeseriesColumn);
    else throw new RangeError(`metric: unknown metric ${JSON.stringify(name.slice(0, 40))}; expected any of ${[...Object.keys(METRIC_GROUPS), ...Object.keys(TIMESERIES_COLUMNS)].join(', ')}`);
  }
  if (out.size === 0) throw new RangeError('metric: expected at least one metric');
  return [...out];
}

/**
 * uPlot's AlignedData: `[xs, ...ys]` with xs in unix seconds (uPlot's default time scale).
 *
 * @example
 * new uPlot(opts, toUplotData(series, ['p50', 'p95']), element);
 */
export function toUplotData(series: Timeseries, columns: readonly TimeseriesColumn[]): [number[], ...Array<Array<number | null>>] {
  return [series.t.map((t) => t / 1000), ...columns.map((c) => series[c] ?? series.t.map(() => null))];
}
