// getAggregatedMetrics: the core's formulas (addCell, latencyOf, errorRateOf) over the cells of a window.
import { addCell, emptyAggregate, errorRateOf, latencyOf } from '../../core/query/aggregate.ts';
import type { LiveCell } from '../../core/rollup.ts';
import type { AggregatedMetrics } from '../types.ts';
import type { WindowCounts } from './tiered-cells.ts';

function add(target: Record<string, number>, key: string, n: number): void {
  target[key] = (target[key] ?? 0) + n;
}

/**
 * The figures of the cells given, which must be those of the windows starting in [from, to): `to`
 * is the end of the data (now), and the rate divides by `to − from`. `asked` is the window the
 * caller asked for; `resolutionMs` the width of the window `from` starts.
 */
export function aggregateMetrics(cells: readonly LiveCell[], counts: readonly WindowCounts[], window: { from: number; to: number; asked: number; resolutionMs: number }): AggregatedMetrics {
  const { from, to } = window;
  const total = emptyAggregate();
  const methods: Record<string, number> = {};
  const paths: Record<string, number> = {};
  let min = Infinity;
  for (const cell of cells) {
    addCell(total, cell);
    add(methods, cell.method, cell.count);
    add(paths, cell.route, cell.count);
    if (cell.count > 0 && cell.durationMin < min) min = cell.durationMin;
  }
  const statusCodes: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  const families: Record<string, number> = {};
  for (const minute of counts) {
    for (const [status, n] of minute.statusCodes) add(statusCodes, String(status), n);
    for (const [kind, n] of minute.userAgentKinds) add(kinds, kind, n);
    for (const [family, n] of minute.userAgentFamilies) add(families, family, n);
  }
  const latency = latencyOf(total);
  const seconds = (to - from) / 1000;
  return {
    timeWindow: window.asked,
    from,
    to,
    resolutionMs: window.resolutionMs,
    count: total.requests,
    rps: seconds > 0 ? total.requests / seconds : 0,
    errors: total.errors,
    errorRate: errorRateOf(total) ?? 0,
    responseTime: {
      avg: latency.avg ?? 0,
      min: total.requests > 0 ? min : 0,
      max: latency.max ?? 0,
      p50: latency.p50 ?? 0,
      p95: latency.p95 ?? 0,
      p99: latency.p99 ?? 0,
    },
    statusCodes,
    methods,
    paths,
    userAgents: { kinds, families },
  };
}
