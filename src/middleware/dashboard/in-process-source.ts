// The dashboard's data in-process: the monitor's cells and profiles, the tracer's recent spans and
// the alerts, computed with the same core functions (and window plans) as the edge.
import { methodKey } from '../../core/request-key.ts';
import { chartData, CHART_COLUMNS, systemChartData, type InstanceProfile } from '../../core/dashboard/chart-data.ts';
import type { AlertView, LiveSummary, Span, TraceRow } from '../../core/dashboard/data.ts';
import { inFilter } from '../../core/query/route-filter.ts';
import type { DashboardSource, TimeWindow } from '../../core/dashboard/source.ts';
import { routeTable, summarise, timeseries } from '../../core/query/index.ts';
import { HOUR_MS, planWindow } from '../../core/query/window.ts';
import { SECOND_MS, windowOf, type LiveCell } from '../../core/rollup.ts';
import type { SystemProfile } from '../../core/wire-format.ts';
import { processInstance } from '../../plugin/runtime/identity.ts';
import { TEN_SECOND_CHART_MS } from '../monitor/tiered-cells.ts';

/** What the live tiles count: the last 60 s (here every request is in memory as it ends). */
export const LIVE_WINDOW_MS = 60_000;

export interface InProcessParts {
  app: string;
  cells: () => LiveCell[];
  profiles: () => SystemProfile[];
  spans: () => Span[];
  alerts: () => AlertView[];
  resolveAlert: (id: string) => boolean;
  now: () => number;
}


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
    let start = Infinity;
    for (const s of trace.spans) start = Math.min(start, s.startTime);
    // From offsets: an end in epoch ms holds ~0.2 µs (a one-span trace read 33.9 µs for its 34.0 µs span).
    let length = 0;
    for (const s of trace.spans) length = Math.max(length, s.startTime - start + s.duration);
    const status = root.tags['http.status_code'];
    trace.row = {
      traceId: id, name: root.name, route: typeof root.tags['http.route'] === 'string' ? root.tags['http.route'] : null,
      method: typeof root.tags['http.method'] === 'string' ? root.tags['http.method'] : null,
      statusCode: typeof status === 'number' ? status : null, startTime: start, duration: length,
      spanCount: trace.spans.length, error: trace.spans.some((s) => s.status === 'error'),
    };
    if (start < window.from || start >= window.to) traces.delete(id);
  }
  return traces;
}

/**
 * The live window in-process: the last 60 s to the second, up to now. The edge ends its own where
 * every instance has reported; here every request is counted as it ends, so that is now.
 */
export function inProcessLiveWindow(now: number): { from: number; to: number; until: number } {
  const from = windowOf(now - LIVE_WINDOW_MS, SECOND_MS);
  return { from, to: windowOf(now, SECOND_MS) + SECOND_MS, until: now };
}

export function inProcessSource(parts: InProcessParts): DashboardSource {
  // The monitor keeps seconds, then 10 s up to 65 minutes: charts up to an hour read 10-s buckets.
  const plan = (window: TimeWindow) => planWindow(window, { now: parts.now(), tenSecondRetentionMs: TEN_SECOND_CHART_MS, minuteRetentionMs: 48 * HOUR_MS });
  const instance = processInstance(parts.app);
  const inFlightSince = (since: number) => {
    const latest = parts.profiles().at(-1);
    return latest !== undefined && latest.timestamp >= since ? latest.inFlight : null;
  };
  return {
    apps: async () => [parts.app],
    hasData: async () => parts.cells().length > 0,
    summary: async (app, window, filter) => {
      const cells = parts.cells().filter((c) => inFilter(c, filter));
      return summarise(cells, { app, ...plan(window) });
    },
    live: async (app, filter): Promise<LiveSummary> => {
      const now = parts.now();
      const window = inProcessLiveWindow(now);
      const cells = parts.cells().filter((c) => c.minute >= window.from && inFilter(c, filter));
      return { ...summarise(cells, { app, ...window, resolution: '10s' }), inFlight: inFlightSince(now - LIVE_WINDOW_MS) };
    },
    routes: async (_app, window, sort, limit) => routeTable(parts.cells(), { ...plan(window), sort, limit }),
    timeseries: async (_app, metric, window, filter) => {
      const cells = parts.cells().filter((c) => inFilter(c, filter));
      return chartData(metric, timeseries(cells, { ...plan(window), columns: CHART_COLUMNS[metric] }));
    },
    system: async (_app, metric, window) => {
      const planned = plan(window);
      const profiles: InstanceProfile[] = parts.profiles().map((p) => ({ ...p, instance }));
      return systemChartData(metric, profiles, planned.from, planned.to, planned.step);
    },
    instances: async (_app, window) => {
      const latest = parts.profiles().at(-1);
      if (latest === undefined || latest.timestamp < window.from) return [];
      return [{ instance, pid: process.pid, lastSeen: latest.timestamp, sending: true }];
    },
    alerts: async () => ({ alerts: parts.alerts() }),
    resolveAlert: async (_app, id) => parts.resolveAlert(id),
    traces: async (_app, window, filter) => {
      let rows = [...traceRows(parts.spans(), window).values()].map((t) => t.row);
      if (filter.route) rows = rows.filter((r) => r.route === filter.route || r.name.includes(filter.route!));
      // As the routes table names methods: PURGE is OTHER there (a review: the filtered row listed no trace).
      if (filter.method) rows = rows.filter((r) => r.method !== null && r.method !== undefined && methodKey(r.method) === filter.method);
      if (filter.minDuration !== undefined) rows = rows.filter((r) => r.duration >= filter.minDuration!);
      if (filter.errorsOnly) rows = rows.filter((r) => r.error);
      rows.sort(filter.order === 'slowest' ? (a, b) => b.duration - a.duration : (a, b) => b.startTime - a.startTime);
      return rows.slice(0, filter.limit ?? 50);
    },
    trace: async (_app, traceId) => ({ spans: parts.spans().filter((s) => s.traceId === traceId) }),
  };
}
