// The dashboard's "Export JSON" link: the page's figures (its app, range, route and method) as one
// file, for someone signed in to the dashboard who holds no read key for the JSON API. Read through
// the same source as the page, so a file and a page agree: the summary and routes in the API's
// shapes, the charts as drawn.
import { ROUTE_ROWS_MAX, type RouteSort } from '../query/routes.ts';
import type { ChartMetric, DashboardSource, TimeWindow } from './source.ts';
import type { ViewContext } from './view-context.ts';
import { json } from './security-headers.ts';

const CHARTS: readonly ChartMetric[] = ['latency', 'throughput', 'errors', 'status'];

/** Told apart from the API's answers by `type`; `version` changes when a field changes meaning. */
export const VIEW_EXPORT_TYPE = 'bun-apm.dashboard-view';

export async function viewExport(source: DashboardSource, ctx: ViewContext, window: TimeWindow, sort: RouteSort, now: number): Promise<Response> {
  const filter = { route: ctx.route, method: ctx.method };
  const charts = ctx.features.historicalCharts ? CHARTS : [];
  const [summary, routes, series, alerts] = await Promise.all([
    source.summary(ctx.app, window, filter),
    source.routes(ctx.app, window, sort, ROUTE_ROWS_MAX + 1),
    Promise.all(charts.map((metric) => source.timeseries(ctx.app, metric, window, filter))),
    ctx.features.alertsPanel ? source.alerts(ctx.app) : undefined,
  ]);
  const body = {
    type: VIEW_EXPORT_TYPE,
    version: 1,
    exportedAt: new Date(now).toISOString(),
    app: ctx.app,
    range: ctx.range,
    route: ctx.route ?? null,
    method: ctx.method ?? null,
    summary,
    routes: routes.slice(0, ROUTE_ROWS_MAX),
    // The JSON API's `truncated`: rows were left out (the API's export.ndjson has every one).
    routesTruncated: routes.length > ROUTE_ROWS_MAX,
    // As the charts draw them (t in Unix seconds, error rate in percent), not the API's timeseries
    // (ms, fractions): a review had found them said to be the API's.
    charts: Object.fromEntries(charts.map((metric, i) => [metric, series[i]])),
    ...(alerts ? { alerts: alerts.alerts } : {}),
  };
  return json(body, 200, { 'Content-Disposition': `attachment; filename="${fileName(ctx, now)}"` });
}

/** `bun-apm-shop-1h-20261203T1830Z.json`: only characters every file system and header takes. */
function fileName(ctx: ViewContext, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]|\.\d+/g, '').replace(/\d\dZ$/, 'Z');
  const app = ctx.app.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'app';
  return `bun-apm-${app}-${ctx.range}-${stamp}.json`;
}
