// The dashboard's data in-process: the monitor's minute cells and profiles, the tracer's recent
// spans and the alerts, computed with the same core functions as the edge.
import { chartData, CHART_COLUMNS, systemChartData, type InstanceProfile } from '../../core/dashboard/chart-data.ts';
import type { AlertView, Span, TraceRow } from '../../core/dashboard/data.ts';
import type { DashboardSource, TimeWindow } from '../../core/dashboard/source.ts';
import { routeTable, summarise, timeseries } from '../../core/query/index.ts';
import { planWindow } from '../../core/query/window.ts';
import type { LiveCell } from '../../core/rollup.ts';
import type { SystemProfile } from '../../core/wire-format.ts';
import { processInstance } from '../../plugin/identity.ts';

export interface InProcessParts {
  app: string;
  cells: () => LiveCell[];
  profiles: () => SystemProfile[];
  spans: () => Span[];
  alerts: () => AlertView[];
  resolveAlert: (id: string) => boolean;
  now: () => number;
}

/** This process, as an instance name in the system charts. */
export const INSTANCE = processInstance();

function traceRows(spans: Span[], window: TimeWindow): Map<string, { row: TraceRow; spans: Span[] }> {
  const traces = new Map<string, { row: TraceRow; spans: Span[] }>();
  for (const span of spans) {
    let trace = traces.get(span.traceId);
    if (!trace) traces.set(span.traceId, (trace = { spans: [], row: { traceId: span.traceId, name: span.name, startTime: span.startTime, duration: 0, spanCount: 0, error: false } }));
    trace.spans.push(span);
  }
  for (const [id, trace] of traces) {
    const ids = new Set(trace.spans.map((s) => s.spanId));
    const root = trace.spans.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? trace.spans[0]!;
    const start = Math.min(...trace.spans.map((s) => s.startTime));
    const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
    const status = root.tags['http.status_code'];
    trace.row = {
      traceId: id, name: root.name, route: typeof root.tags['http.route'] === 'string' ? root.tags['http.route'] : null,
      statusCode: typeof status === 'number' ? status : null, startTime: start, duration: end - start,
      spanCount: trace.spans.length, error: trace.spans.some((s) => s.status === 'error'),
    };
    if (start < window.from || start >= window.to) traces.delete(id);
  }
  return traces;
}

export function inProcessSource(parts: InProcessParts): DashboardSource {
  const plan = (window: TimeWindow) => planWindow(window, { now: parts.now(), minuteRetentionMs: 48 * 3_600_000 });
  return {
    apps: async () => [parts.app],
    hasData: async () => parts.cells().length > 0,
    summary: async (app, window, route) => {
      const cells = parts.cells().filter((c) => route === undefined || c.route === route);
      const latest = parts.profiles().at(-1);
      return { ...summarise(cells, { app, ...plan(window) }), inFlight: latest?.inFlight ?? null };
    },
    routes: async (_app, window, sort) => routeTable(parts.cells(), { ...plan(window), sort, limit: 200 }),
    timeseries: async (_app, metric, window, route) => {
      const cells = parts.cells().filter((c) => route === undefined || c.route === route);
      return chartData(metric, timeseries(cells, { ...plan(window), columns: CHART_COLUMNS[metric] }));
    },
    system: async (_app, metric, window) => {
      const planned = plan(window);
      const profiles: InstanceProfile[] = parts.profiles().map((p) => ({ ...p, instance: INSTANCE }));
      return systemChartData(metric, profiles, planned.from, planned.to, planned.step);
    },
    instances: async () => (parts.profiles().length > 0 ? [INSTANCE] : []),
    alerts: async () => parts.alerts(),
    resolveAlert: async (_app, id) => parts.resolveAlert(id),
    traces: async (_app, window, filter) => {
      let rows = [...traceRows(parts.spans(), window).values()].map((t) => t.row);
      if (filter.route) rows = rows.filter((r) => r.route === filter.route || r.name.includes(filter.route!));
      if (filter.minDuration !== undefined) rows = rows.filter((r) => r.duration >= filter.minDuration!);
      if (filter.errorsOnly) rows = rows.filter((r) => r.error);
      rows.sort(filter.order === 'slowest' ? (a, b) => b.duration - a.duration : (a, b) => b.startTime - a.startTime);
      return rows.slice(0, filter.limit ?? 50);
    },
    trace: async (_app, traceId) => parts.spans().filter((s) => s.traceId === traceId),
  };
}
