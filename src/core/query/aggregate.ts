// Adds rollup cells together: the one place where counts, errors and sketches of many cells merge.
import type { LiveCell } from '../rollup.ts';
import { QuantileSketch } from '../sketch.ts';

/** The sum of some cells: everything the summary, the timeseries and the route table read. */
export interface Aggregate {
  requests: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  /** 4xx responses. */
  clientErrors: number;
  durationSum: number;
  durationMax: number;
  bytes: number;
  /** Requests per status class. */
  byClass: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Durations of the requests of cells without errors: the only ones Apdex can find satisfied. */
  okSketch: QuantileSketch;
  /** Durations of the requests of cells with errors. Every request is in one of the two: see sketchOf. */
  errorSketch: QuantileSketch;
  /** okSketch and errorSketch merged, once asked for (sketchOf); cleared when a cell is added. */
  merged?: QuantileSketch;
  /** Cells holding errors and non-errors together; a conforming sender never makes one (see apdex.ts). */
  mixed: LiveCell[];
}

export function emptyAggregate(): Aggregate {
  return {
    requests: 0, errors: 0, clientErrors: 0, durationSum: 0, durationMax: 0, bytes: 0,
    byClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    okSketch: new QuantileSketch(), errorSketch: new QuantileSketch(), mixed: [],
  };
}

/**
 * Durations of every request of the aggregate. Kept as two sketches while cells are added (each
 * cell merged once, not into a total and an error-free sketch both) and merged here when read.
 */
export function sketchOf(aggregate: Aggregate): QuantileSketch {
  if (aggregate.merged !== undefined) return aggregate.merged;
  const { okSketch, errorSketch } = aggregate;
  aggregate.merged = errorSketch.count === 0 ? okSketch : okSketch.count === 0 ? errorSketch : okSketch.clone().merge(errorSketch);
  return aggregate.merged;
}

export function addCell(target: Aggregate, cell: LiveCell): Aggregate {
  target.requests += cell.count;
  target.errors += cell.errors;
  if (cell.statusClass === '4xx') target.clientErrors += cell.count;
  target.durationSum += cell.durationSum;
  if (cell.durationMax > target.durationMax) target.durationMax = cell.durationMax;
  target.bytes += cell.bytes;
  target.byClass[cell.statusClass] += cell.count;
  target.merged = undefined;
  if (cell.errors === 0) target.okSketch.merge(cell.sketch);
  else {
    target.errorSketch.merge(cell.sketch);
    if (cell.errors < cell.count) target.mixed.push(cell);
  }
  return target;
}

export interface Latency {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** avg and max are exact; p50/p95/p99 are within the sketch's 1 %. Null when there were no requests. */
export function latencyOf(aggregate: Aggregate): Latency {
  if (aggregate.requests === 0) return { avg: null, p50: null, p95: null, p99: null, max: null };
  const sketch = sketchOf(aggregate);
  return {
    avg: aggregate.durationSum / aggregate.requests,
    p50: sketch.quantile(0.5),
    p95: sketch.quantile(0.95),
    p99: sketch.quantile(0.99),
    max: aggregate.durationMax,
  };
}

/** errors / requests as a fraction (0..1); null when there were no requests. */
export function errorRateOf(aggregate: Aggregate): number | null {
  return aggregate.requests === 0 ? null : aggregate.errors / aggregate.requests;
}
