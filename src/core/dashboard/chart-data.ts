// Shapes the export API's timeseries for the dashboard's charts: which columns each chart draws,
// time in unix seconds (what uPlot reads), error rate in percent. Both hosts call this.
import type { TimeseriesColumn, Timeseries as QueryTimeseries } from '../query/timeseries.ts';
import type { SystemSeries, Timeseries } from './data.ts';
import type { ChartMetric, SystemMetric } from './source.ts';

export const CHART_COLUMNS: Record<ChartMetric, TimeseriesColumn[]> = {
  latency: ['p50', 'p95', 'p99'],
  throughput: ['rps'],
  errors: ['errorRate'],
  status: ['2xx', '3xx', '4xx', '5xx'],
};

export function chartData(metric: ChartMetric, series: QueryTimeseries): Timeseries {
  const out: Timeseries = { t: series.t.map((ms) => Math.floor(ms / 1000)) };
  for (const column of CHART_COLUMNS[metric]) {
    const values = series[column] ?? series.t.map(() => null);
    out[column] = column === 'errorRate' ? values.map((v) => (v === null ? null : v * 100)) : values;
  }
  return out;
}

export interface InstanceProfile {
  instance: string;
  timestamp: number;
  rss: number;
  cpuPercent: number;
  eventLoopLagMs: number;
}

const SYSTEM_VALUE: Record<SystemMetric, (p: InstanceProfile) => number> = {
  memory: (p) => p.rss / 1_048_576,
  cpu: (p) => p.cpuPercent,
  eventLoop: (p) => p.eventLoopLagMs,
};

/**
 * One series per instance, bucketed by `step` (ms) over [from, to): the mean of the instance's
 * profiles in each bucket, null where it sent none.
 */
export function systemChartData(metric: SystemMetric, profiles: Iterable<InstanceProfile>, from: number, to: number, step: number): SystemSeries {
  const count = Math.max(1, Math.ceil((to - from) / step));
  const sums = new Map<string, { sum: Float64Array; n: Uint32Array }>();
  for (const p of profiles) {
    if (p.timestamp < from || p.timestamp >= to) continue;
    let acc = sums.get(p.instance);
    if (!acc) sums.set(p.instance, (acc = { sum: new Float64Array(count), n: new Uint32Array(count) }));
    const i = Math.floor((p.timestamp - from) / step);
    acc.sum[i]! += SYSTEM_VALUE[metric](p);
    acc.n[i]! += 1;
  }
  return {
    t: Array.from({ length: count }, (_, i) => Math.floor((from + i * step) / 1000)),
    series: [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([name, acc]) => ({
      name,
      values: Array.from(acc.sum, (sum, i) => (acc.n[i] ? sum / acc.n[i]! : null)),
    })),
  };
}
