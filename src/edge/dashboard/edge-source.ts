// The dashboard's data at the edge: each app's stores (every shard, merged: app-reader.ts), through
// the same reads as the API.
import { alertViews } from '../../core/dashboard/alert-views.ts';
import { chartData, CHART_COLUMNS, systemChartData } from '../../core/dashboard/chart-data.ts';
import type { InstanceView, Span, TraceRow } from '../../core/dashboard/data.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { LIVE_STALE_MS } from '../store/live.ts';
import type { DashboardSource, TimeWindow } from '../../core/dashboard/source.ts';
import { planWindow, type QueryWindow } from '../../core/query/window.ts';
import { appReader } from '../app-reader.ts';
import type { TraceSummary } from '../store/traces.ts';
import { isFiltered, type RouteFilter } from '../../core/query/route-filter.ts';
import { keyRing } from '../auth/key-ring.ts';
import type { Env } from '../env.ts';
import { planOptions, readSettings } from '../settings.ts';
import type { UsageReport } from '../../core/usage/usage.ts';
import { accountUsage } from '../usage/account-usage.ts';

export function edgeSource(env: Env, now: () => number): DashboardSource {
  const settings = () => readSettings(env);
  const plan = (window: TimeWindow, perRoute = false): QueryWindow => planWindow(window, planOptions(settings(), now(), perRoute));
  const store = (app: string) => appReader(env, app);

  return {
    apps: async () => (await keyRing(env)).apps,
    hasData: async (app) => (await store(app).instances()).length > 0,
    summary: async (app, window, filter) => store(app).summary({ app, window: plan(window, isFiltered(filter)), apdexThresholdMs: settings().apdexThresholdMs, ...only(filter) }),
    live: async (app, filter) => store(app).live({ app, apdexThresholdMs: settings().apdexThresholdMs, ...only(filter) }),
    routes: async (app, window, sort, limit) => (await store(app).routes({ window: plan(window, true), apdexThresholdMs: settings().apdexThresholdMs, sort, limit })).rows,
    timeseries: async (app, metric, window, filter) =>
      chartData(metric, await store(app).timeseries({ window: plan(window, isFiltered(filter)), columns: CHART_COLUMNS[metric], apdexThresholdMs: settings().apdexThresholdMs, ...only(filter) })),
    system: async (app, metric, window) => {
      const planned = plan(window);
      const page = await store(app).profiles({ from: planned.from, to: planned.to, limit: 10_000 });
      return systemChartData(metric, page.items, planned.from, planned.to, planned.step);
    },
    instances: async (app, window) => {
      const time = now();
      return (await store(app).instances())
        .filter((i) => i.lastSeen >= window.from && i.instance !== OVERFLOW_ROUTE)
        .map((i): InstanceView => ({ instance: i.instance, pid: i.pid, lastSeen: i.lastSeen, sending: i.lastSeen >= time - LIVE_STALE_MS }));
    },
    requestsNotReceived: async (app, window) =>
      (await store(app).instances())
        .filter((i) => i.dropped.requests > 0 && i.requestsLostAt !== null && i.requestsLostAt >= window.from)
        .map((i) => ({ instance: i.instance, requests: i.dropped.requests, reportedAt: i.requestsLostAt! })),
    sampling: async (app, window) =>
      (await store(app).instances()).filter((i) => i.lastSeen >= window.from && i.sampling !== null).map((i) => ({ instance: i.instance, policy: i.sampling!, parentTracesRefused: i.dropped.parentTraces })),
    // Asked for the full page only (not its refreshes): one store request per app the viewer sees.
    usage: async (app) => {
      const report = (await store(app).usageReport(7)) as UsageReport;
      const apps = (await keyRing(env)).apps;
      return { report, account: apps.length > 1 ? await accountUsage(env, apps, [report]) : null };
    },
    alerts: async (app) => {
      const { active, history, configProblems } = await store(app).alerting.alerts(100);
      return { alerts: alertViews(active, history), configProblems };
    },
    resolveAlert: async (app, id, time) => (await store(app).alerting.resolveAlert(id, time)) !== null,
    traces: async (app, window, filter) => {
      const reader = store(app);
      const limit = filter.limit ?? 50;
      const items: TraceSummary[] = [];
      // A short page with a cursor stopped at the read's cap: a few more find a rare match, at a bounded cost.
      for (let cursor: string | null | undefined, pages = 0; pages < 4 && items.length < limit && cursor !== null; pages++) {
        const page = await reader.traces({
          from: window.from, to: window.to, route: filter.route, method: filter.method, minDuration: filter.minDuration, errorsOnly: filter.errorsOnly,
          sort: filter.order ?? 'recent', limit: limit - items.length, ...(cursor && { cursor }),
        });
        items.push(...page.items);
        cursor = page.nextCursor;
      }
      return items.map((t): TraceRow => ({ traceId: t.traceId, name: t.name, route: t.route, method: t.method, statusCode: t.statusCode, startTime: t.startTime, duration: t.duration, spanCount: t.spanCount, error: t.error }));
    },
    trace: async (app, traceId) => {
      const trace = await store(app).trace(traceId);
      return { spans: (trace?.spans ?? []) as Span[], ...(trace?.warnings && { warnings: trace.warnings }) };
    },
  };
}

/** The filter's set fields, for a store query that tells a missing field from an undefined one. */
function only(filter: RouteFilter): RouteFilter {
  return { ...(filter.route !== undefined && { route: filter.route }), ...(filter.method !== undefined && { method: filter.method }) };
}
