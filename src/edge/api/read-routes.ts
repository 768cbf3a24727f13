// The JSON export API under /api/v1 (read keys): apps, summary, live, timeseries, routes, samples,
// traces, one trace, profiles, instances and status. Every time is in ms since the epoch; rollup
// answers echo the window they used (from, to, until, resolution), and rates divide by until − from.
import { parseColumns } from '../../core/query/timeseries.ts';
import { ROUTE_ROWS_MAX, ROUTE_SORTS } from '../../core/query/routes.ts';
import { HTTP_METHOD, LIMITS } from '../../core/wire-format.ts';
import { MAX_DURATION_MS, saturatingAdd } from '../../core/value-bounds.ts';
import { appReader } from '../app-reader.ts';
import { reader } from '../auth/authenticate.ts';
import { badParameter, json, notFound } from '../http/errors.ts';
import { booleanParam, checkQuery, enumParam, intParam, numberParam, textParam } from '../http/params.ts';
import type { Route, RouteContext } from '../http/router.ts';
import { readSettings } from '../settings.ts';
import { isFiltered } from '../../core/query/route-filter.ts';
import { callStore } from '../store-errors.ts';
import { rawWindow, readableApp, rollupWindow } from './access.ts';
import { handleExport } from './export-ndjson.ts';
import { ingestKeyCheckRoute } from './ingest-key-check.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;

function filters(url: URL): { route?: string; method?: string } {
  const route = textParam(url, 'route', LIMITS.routeLength);
  const method = textParam(url, 'method', 16);
  if (method !== undefined && !HTTP_METHOD.test(method)) throw badParameter('method: expected an HTTP method in capitals');
  return { ...(route !== undefined && { route }), ...(method !== undefined && { method }) };
}

function apdexThreshold(context: RouteContext): number {
  return numberParam(context.url, 'apdexThreshold', { min: 1, max: 600_000 }) ?? readSettings(context.env).apdexThresholdMs;
}

/** The cursor as the client sent it: the app's reader checks it (one position per shard when it has several). */
function cursorParam(url: URL): string | undefined {
  const raw = url.searchParams.get('cursor');
  return raw === null || raw === '' ? undefined : raw;
}

/** `503` → [503, 503]; `5xx` → [500, 599]. */
function statusParam(url: URL): [number, number] | undefined {
  const raw = url.searchParams.get('status');
  if (raw === null || raw === '') return undefined;
  if (/^[1-5]xx$/i.test(raw)) return [Number(raw[0]) * 100, Number(raw[0]) * 100 + 99];
  if (/^[1-5]\d\d$/.test(raw)) return [Number(raw), Number(raw)];
  throw badParameter('status: expected a status code (503) or a class (5xx)');
}

/** Reads the app and calls its stores (every shard, merged: app-reader.ts); the handler body only says which method with what. */
function appRoute(path: string, handler: (context: RouteContext, app: string) => Promise<unknown>): Route {
  return {
    method: 'GET',
    path: `/api/v1/apps/:app${path}`,
    handler: async (context) => {
      const app = await readableApp(context);
      checkQuery(context.url); // after the key: a stranger learns nothing of the parameters
      return json(await callStore(app, () => handler(context, app)));
    },
  };
}

export const readRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/apps',
    handler: async ({ request, env, url }) => {
      const { apps } = await reader(request, env);
      checkQuery(url);
      return json({ apps });
    },
  },
  appRoute('/summary', (context, app) => {
    const filter = filters(context.url);
    return appReader(context.env, app).summary({ app, window: rollupWindow(context, isFiltered(filter)), apdexThresholdMs: apdexThreshold(context), ...filter });
  }),
  // The last 60 s of complete data (what the dashboard's live tiles show); its window is echoed.
  appRoute('/live', (context, app) => appReader(context.env, app).live({ app, apdexThresholdMs: apdexThreshold(context), ...filters(context.url) })),
  appRoute('/timeseries', async (context, app) => {
    const filter = filters(context.url);
    const window = rollupWindow(context, isFiltered(filter));
    let columns;
    try {
      columns = parseColumns(context.url.searchParams.get('metric') ?? 'requests,errors,errorRate,p50,p95,p99');
    } catch (error) {
      throw badParameter((error as Error).message);
    }
    const series = await appReader(context.env, app).timeseries({ window, columns, apdexThresholdMs: apdexThreshold(context), ...filter });
    return { app, from: window.from, to: window.to, until: window.until, step: window.step, resolution: window.resolution, ...series };
  }),
  appRoute('/routes', async (context, app) => {
    const window = rollupWindow(context, true);
    // By default the first thousand: an app may have ten methods of each of its routes.
    const limit = intParam(context.url, 'limit', { min: 1, max: ROUTE_ROWS_MAX }) ?? 1_000;
    const { rows, ...warnings } = await appReader(context.env, app).routes({
      window,
      apdexThresholdMs: apdexThreshold(context),
      ...filters(context.url),
      sort: enumParam(context.url, 'sort', ROUTE_SORTS),
      order: enumParam(context.url, 'order', ['asc', 'desc'] as const),
      limit: limit + 1, // one more, to say whether rows were left out
    });
    const routes = rows.slice(0, limit);
    return { app, from: window.from, to: window.to, until: window.until, resolution: window.resolution, routes, truncated: rows.length > limit, ...warnings };
  }),
  appRoute('/samples', (context, app) => appReader(context.env, app).samples({
    ...rawWindow(context),
    ...filters(context.url),
    status: statusParam(context.url),
    minDuration: numberParam(context.url, 'minDuration', { max: MAX_DURATION_MS }),
    limit: intParam(context.url, 'limit', { min: 1, max: 1_000 }) ?? 100,
    cursor: cursorParam(context.url),
  })),
  appRoute('/traces', (context, app) => appReader(context.env, app).traces({
    ...rawWindow(context),
    ...filters(context.url),
    minDuration: numberParam(context.url, 'minDuration', { max: MAX_DURATION_MS }),
    errorsOnly: booleanParam(context.url, 'errors'),
    sort: enumParam(context.url, 'sort', ['recent', 'slowest'] as const) ?? 'recent',
    limit: intParam(context.url, 'limit', { min: 1, max: 500 }) ?? 50,
    cursor: cursorParam(context.url),
  })),
  appRoute('/traces/:traceId', async (context, app) => {
    const traceId = context.params.traceId!;
    if (!TRACE_ID.test(traceId)) throw badParameter('traceId: expected 32 lowercase hex characters');
    const trace = await appReader(context.env, app).trace(traceId);
    if (trace === null) throw notFound('no such trace (it may have passed retention)');
    return trace;
  }),
  appRoute('/profiles', (context, app) => appReader(context.env, app).profiles({
    ...rawWindow(context),
    instance: textParam(context.url, 'instance', LIMITS.nameLength),
    limit: intParam(context.url, 'limit', { min: 1, max: 10_000 }) ?? 1_000,
    cursor: cursorParam(context.url),
  })),
  appRoute('/instances', async (context, app) => {
    const instances = await appReader(context.env, app).instances();
    // Requests the instances counted but could not deliver: what the totals are short of.
    return { instances, requestsNotReceived: instances.reduce((sum, i) => saturatingAdd(sum, i.dropped.requests), 0) };
  }),
  appRoute('/status', async (context, app) => ({ app, ...(await appReader(context.env, app).status()) })),
  { method: 'GET', path: '/api/v1/apps/:app/export.ndjson', handler: handleExport },
  // Not a read of data, but kept in this table so the Worker's entry needs no new line: `doctor`'s key check.
  ingestKeyCheckRoute,
];
