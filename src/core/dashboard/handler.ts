// The dashboard's HTTP surface, runtime-neutral: routing, authentication, CSRF and headers.
// The edge and the in-process PerformanceDashboard each pass a data source and the views.
import { verifyCsrf, csrfToken } from '../auth/session.ts';
import { RANGES, type RangeName, type TraceFilter } from './data.ts';
import { DashboardAuth, SESSION_COOKIE, type DashboardAuthOptions } from './dashboard-auth.ts';
import type { DashboardRenderer } from './renderer.ts';
import { ROUTE_SORTS, type RouteSort } from '../query/routes.ts';
import { html, json, withSecurityHeaders } from './security-headers.ts';
import type { ChartMetric, DashboardSource, SystemMetric, TimeWindow } from './source.ts';
import type { DashboardFeatures, ViewContext } from './view-context.ts';

export interface DashboardHandlerOptions {
  /** Mount path, e.g. `/performance`. */
  path: string;
  title: string;
  refreshInterval: number;
  features: DashboardFeatures;
  authentication: DashboardAuthOptions;
  source: DashboardSource;
  views: DashboardRenderer;
  /** URL prefix of the static assets (htmx, uPlot, dashboard.js/css). */
  assetsPath: string;
  /** Serves a file under the assets prefix, when the host doesn't serve them itself. */
  serveAsset?: (name: string) => Promise<Response | null>;
  /** The app shown when the URL names none (default: the first the source lists). */
  defaultApp?: string;
  now?: () => number;
}

const BASIC_CHALLENGE = 'Basic realm="bun-apm dashboard", charset="UTF-8"';
const CHART_METRICS: readonly ChartMetric[] = ['latency', 'throughput', 'errors', 'status'];
const SYSTEM_METRICS: readonly SystemMetric[] = ['memory', 'cpu', 'eventLoop'];

export type DashboardHandler = (request: Request, client: string) => Promise<Response | null>;

/**
 * Returns a handler that answers requests under `options.path` and null for any other path,
 * so a middleware can pass those on. `client` identifies the caller for the failure limiter.
 *
 * @example
 * const dashboard = createDashboardHandler({ path: '/performance', source, views: dashboardViews, … });
 * const response = await dashboard(request, clientIp) ?? next();
 */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const base = options.path.replace(/\/+$/, '') || '/';
  if (!base.startsWith('/')) throw new Error(`dashboard path: expected a path starting with "/", got ${JSON.stringify(options.path)}`);
  if (!(options.refreshInterval >= 500)) throw new Error(`dashboard refreshInterval: expected ≥ 500 ms, got ${options.refreshInterval}`);
  const auth = new DashboardAuth(options.authentication);
  const now = options.now ?? Date.now;

  return async function dashboard(request: Request, client: string): Promise<Response | null> {
    const url = new URL(request.url);
    const rest = subPath(url.pathname, base);
    if (rest === null) return null;
    try {
      if (rest.startsWith('/assets/')) {
        const asset = options.serveAsset ? await options.serveAsset(rest.slice('/assets/'.length)) : null;
        return asset ?? json({ error: { code: 'not_found', message: 'no such asset' } }, 404);
      }
      if (request.method === 'POST' && !sameOrigin(request, url)) {
        return json({ error: { code: 'forbidden', message: 'cross-origin form posts are refused' } }, 403);
      }
      const time = now();
      if (rest === '/login') return await login(request, url, client, time);
      if (rest === '/login/basic') return await basicLogin(request, client, time);

      const who = await auth.check(request, client, time);
      if (!who.ok) return refuse(who, url, rest);
      const secret = await auth.signingSecret();
      const ctx = await context(url, who.subject, secret);
      if (ctx === null) return json({ error: { code: 'not_found', message: 'no such app' } }, 404);
      const window = windowOf(ctx.range, time);

      if (rest === '/logout' && request.method === 'POST') {
        return new Response(null, { status: 303, headers: { Location: base, 'Set-Cookie': cookie('', 0) } });
      }
      if (rest === '/alerts/resolve' && request.method === 'POST') {
        const form = await request.formData();
        const token = (form.get('csrf') as string | null) ?? request.headers.get('x-csrf-token');
        if (!(await verifyCsrf(secret, who.subject, token))) {
          return json({ error: { code: 'csrf', message: 'missing or wrong CSRF token: reload the page and try again' } }, 403);
        }
        const id = String(form.get('id') ?? '');
        const resolved = await options.source.resolveAlert(ctx.app, id, time);
        if (!resolved) return json({ error: { code: 'not_found', message: 'no open alert with that id' } }, 404);
        const body = await options.views.alerts(ctx, await options.source.alerts(ctx.app));
        return request.headers.has('hx-request') ? html(body) : new Response(null, { status: 303, headers: { Location: `${base}?app=${encodeURIComponent(ctx.app)}` } });
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return json({ error: { code: 'method_not_allowed', message: `${request.method} is not allowed here` } }, 405);
      }
      return await read(rest, url, ctx, window);
    } catch (error) {
      // The dashboard must never take its host down; say what failed without leaking internals.
      console.error(`bun-apm dashboard: ${(error as Error).name}: ${(error as Error).message}`);
      return json({ error: { code: 'internal', message: 'the dashboard failed to answer; see the server log' } }, 500);
    }
  };

  async function read(rest: string, url: URL, ctx: ViewContext, window: TimeWindow): Promise<Response> {
    const { source, views } = options;
    const sort = pick<RouteSort>(url.searchParams.get('sort'), ROUTE_SORTS, 'requests');
    const filter = traceFilter(url);
    switch (rest) {
      case '':
      case '/': {
        const f = ctx.features;
        const [summary, routes, alerts, traces, instances, hasData, notReceived] = await Promise.all([
          source.summary(ctx.app, window, ctx.route),
          source.routes(ctx.app, window, sort),
          f.alertsPanel ? source.alerts(ctx.app) : [],
          f.tracingView ? source.traces(ctx.app, window, { ...filter, route: filter.route ?? ctx.route }) : [],
          f.systemMetrics ? source.instances(ctx.app, window) : [],
          source.hasData(ctx.app),
          source.requestsNotReceived?.(ctx.app, window) ?? [],
        ]);
        return html(await views.page(ctx, { summary, routes, sort, alerts, traces, traceFilter: { ...filter, route: filter.route ?? ctx.route }, instances, hasData, notReceived }));
      }
      case '/fragments/summary':
        return html(await views.summary(ctx, await source.summary(ctx.app, window, ctx.route)));
      case '/fragments/routes':
        return html(await views.routes(ctx, await source.routes(ctx.app, window, sort), sort));
      case '/fragments/alerts':
        return html(await views.alerts(ctx, await source.alerts(ctx.app)));
      case '/fragments/traces':
        return html(await views.traces(ctx, await source.traces(ctx.app, window, filter), filter));
      case '/data/timeseries':
        return json(await source.timeseries(ctx.app, pick(url.searchParams.get('metric'), CHART_METRICS, 'latency'), window, ctx.route));
      case '/data/system':
        return json(await source.system(ctx.app, pick(url.searchParams.get('metric'), SYSTEM_METRICS, 'memory'), window));
    }
    const trace = /^\/traces\/([0-9a-f]{32})$/.exec(rest);
    if (trace) return html(await views.trace(ctx, trace[1]!, await source.trace(ctx.app, trace[1]!)));
    return json({ error: { code: 'not_found', message: 'no such dashboard page' } }, 404);
  }

  async function context(url: URL, subject: string, secret: string): Promise<ViewContext | null> {
    const apps = await options.source.apps();
    const wanted = url.searchParams.get('app') ?? options.defaultApp ?? apps[0] ?? '';
    if (apps.length > 0 && !apps.includes(wanted)) return null;
    return {
      base,
      assets: options.assetsPath,
      title: options.title,
      app: wanted,
      apps,
      range: pick(url.searchParams.get('range'), Object.keys(RANGES) as RangeName[], '1h'),
      route: url.searchParams.get('route')?.slice(0, 256) || undefined,
      refreshMs: options.refreshInterval,
      csrf: await csrfToken(secret, subject),
      features: options.features,
    };
  }

  async function login(request: Request, url: URL, client: string, time: number): Promise<Response> {
    if (!auth.apiKeyEnabled) return json({ error: { code: 'not_found', message: 'API-key login is not configured' } }, 404);
    if (request.method !== 'POST') return html(await signInPage(undefined, safeNext(url.searchParams.get('next'))));
    const form = await request.formData();
    const next = safeNext(String(form.get('next') ?? ''));
    const result = await auth.login(String(form.get('apiKey') ?? ''), client, time);
    if (result === null) return html(await signInPage('That API key is not valid.', next), 401);
    if ('retryAfterMs' in result) {
      return html(await signInPage('Too many failed attempts; wait a minute and try again.', next), 429, { 'Retry-After': String(Math.ceil(result.retryAfterMs / 1000)) });
    }
    return withSecurityHeaders(new Response(null, { status: 303, headers: { Location: next, 'Set-Cookie': cookie(result.cookie, auth.sessionMaxAgeSeconds()) } }));
  }

  async function refuse(result: Extract<Awaited<ReturnType<DashboardAuth['check']>>, { ok: false }>, url: URL, rest: string): Promise<Response> {
    if (result.status === 429) {
      return withSecurityHeaders(new Response('Too many failed attempts; wait and try again.', { status: 429, headers: { 'Retry-After': String(Math.ceil((result.retryAfterMs ?? 60_000) / 1000)) } }));
    }
    const headers: Record<string, string> = {};
    const isPage = rest === '' || rest === '/' || rest.startsWith('/traces/');
    // With both methods on, a browser page gets the login form without a surprise password prompt;
    // the form links to /login/basic, which challenges. Everything else gets the challenge.
    if (auth.basicEnabled && !(auth.apiKeyEnabled && isPage && !result.presented)) headers['WWW-Authenticate'] = BASIC_CHALLENGE;
    if (auth.apiKeyEnabled && isPage && !result.presented) {
      return html(await signInPage(undefined, url.pathname + url.search), 401, headers);
    }
    return withSecurityHeaders(new Response(JSON.stringify({ error: { code: 'unauthorized', message: result.presented ? 'wrong credentials' : 'credentials required' } }), { status: 401, headers: { ...headers, 'Content-Type': 'application/json' } }));
  }

  function signInPage(error: string | undefined, next: string): string | Promise<string> {
    const ctx: ViewContext = { base, assets: options.assetsPath, title: options.title, app: '', apps: [], range: '1h', refreshMs: options.refreshInterval, csrf: '', features: options.features };
    return options.views.login(ctx, error, next, auth.basicEnabled);
  }

  /** Basic auth on demand: challenges until the browser sends good credentials, then goes home. */
  async function basicLogin(request: Request, client: string, time: number): Promise<Response> {
    if (!auth.basicEnabled) return json({ error: { code: 'not_found', message: 'basic authentication is not configured' } }, 404);
    const who = await auth.check(request, client, time);
    if (who.ok && who.subject.startsWith('basic:')) {
      // Browsers resend basic credentials only under the challenged path, so the rest of the
      // dashboard gets a session cookie, as after an API-key sign-in.
      const session = await auth.issueSession(who.subject, time);
      return withSecurityHeaders(new Response(null, { status: 303, headers: { Location: base, 'Set-Cookie': cookie(session, auth.sessionMaxAgeSeconds()) } }));
    }
    return withSecurityHeaders(new Response('Sign in with the dashboard username and password.', { status: who.ok ? 401 : who.status, headers: { 'WWW-Authenticate': BASIC_CHALLENGE, 'Content-Type': 'text/plain; charset=utf-8' } }));
  }

  function cookie(value: string, maxAge: number): string {
    return `${SESSION_COOKIE}=${value}; Path=${base}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
  }

  /** Only paths under the dashboard: a login can't be turned into an open redirect. */
  function safeNext(next: string | null): string {
    return next && subPath(next.split('?')[0]!, base) !== null && !next.startsWith('//') ? next : base;
  }
}

/** The part of `pathname` under `base` ('' for base itself), or null when outside it. */
function subPath(pathname: string, base: string): string | null {
  if (base === '/') return pathname;
  if (pathname === base) return '';
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : null;
}

function sameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get('origin');
  if (origin === null || origin === 'null') return request.headers.get('sec-fetch-site') !== 'cross-site';
  return origin === url.origin;
}

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function windowOf(range: RangeName, now: number): TimeWindow {
  return { from: now - RANGES[range], to: now };
}

function traceFilter(url: URL): TraceFilter {
  const min = Number(url.searchParams.get('minDuration'));
  return {
    route: url.searchParams.get('route')?.slice(0, 256) || undefined,
    minDuration: Number.isFinite(min) && min > 0 ? min : undefined,
    errorsOnly: url.searchParams.get('errors') === '1',
    order: url.searchParams.get('order') === 'slowest' ? 'slowest' : 'recent',
    limit: 50,
  };
}
