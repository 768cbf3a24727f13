// The dashboard's HTTP surface, runtime-neutral: routing, sign-in, sessions, CSRF and headers.
// The edge and the in-process PerformanceDashboard each pass a data source, the views and a
// SignInStore; the host says who the client is (an address it can vouch for).
import { memorySignInStore, type SignInStore } from '../auth/sign-in-store.ts';
import { drainBody } from '../http/request-body.ts';
import { ROUTE_SORTS, type RouteSort } from '../query/routes.ts';
import { asksForPage, errorPage, fromScript, notePage, type PageHome } from './browser-pages.ts';
import { DEVICE_COOKIE, SESSION_COOKIE, setCookie } from './cookies.ts';
import { RANGE_STEPS, RANGES, type RangeName, type RouteFilter, ROUTES_SHOWN } from './data.ts';
import { DashboardAuth, type DashboardAuthOptions, lockedOut, type Refusal, type Who } from './dashboard-auth.ts';
import { field, FormError, MAX_FORM_BYTES, readForm } from './read-form.ts';
import { methodParam, oneOf, single, textParam, traceFilter } from './page-params.ts';
import type { DashboardRenderer } from './renderer.ts';
import { safeNext } from './safe-next.ts';
import { html, json, problem, redirect, withSecurityHeaders } from './security-headers.ts';
import type { ChartMetric, DashboardSource, SystemMetric, TimeWindow } from './source.ts';
import type { DashboardFeatures, ViewContext } from './view-context.ts';
import { viewExport } from './view-export.ts';

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
  /** Served by the app itself (the explicit API), not by the edge: the empty page says how to get data here. */
  inProcess?: boolean;
  /** Sessions and failure limits (default: in this process's memory). */
  signInStore?: SignInStore;
  /** Told, before the first await, of each request under `path` (the in-process dashboard leaves them out of the app's counts). */
  onOwnRequest?: (request: Request) => void;
  /**
   * The answer to a failure the host can name (the edge: a store overloaded, or written by a newer
   * version), or undefined: a 500 that names nothing.
   */
  answerFailure?: (error: unknown) => Response | undefined;
  now?: () => number;
}

/** Apps asked for data when a visit names none; past them, the first is shown. */
const DEFAULT_APP_PROBES = 8;
const BASIC_CHALLENGE = 'Basic realm="bun-apm dashboard", charset="UTF-8"';
const CHART_METRICS: readonly ChartMetric[] = ['latency', 'throughput', 'errors', 'status'];
const SYSTEM_METRICS: readonly SystemMetric[] = ['memory', 'cpu', 'eventLoop'];
const ALERT_ID = /^[^\u0000-\u001f\u007f]{1,200}$/;

/** `client`, or what gives it: asked only for the dashboard's own paths (the app's requests pass by untouched). */
export type DashboardHandler = (request: Request, client: string | (() => string)) => Promise<Response | null>;

/**
 * Returns a handler that answers requests under `options.path` and null for any other path,
 * so a middleware can pass those on. `client` identifies the caller for the sign-in limits.
 *
 * @example
 * const dashboard = createDashboardHandler({ path: '/performance', source, views: dashboardViews, … });
 * const response = await dashboard(request, server.requestIP(request)?.address ?? 'unknown') ?? next();
 */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const base = options.path.replace(/\/+$/, '') || '/';
  if (!base.startsWith('/')) throw new Error(`dashboard path: expected a path starting with "/", got ${JSON.stringify(options.path)}`);
  if (!(options.refreshInterval >= 500)) throw new Error(`dashboard refreshInterval: expected ≥ 500 ms, got ${options.refreshInterval}`);
  const auth = new DashboardAuth(options.authentication, options.signInStore ?? memorySignInStore());
  const now = options.now ?? Date.now;
  const cookiePath = base;
  const home: PageHome = { title: options.title, assetsPath: options.assetsPath, base };
  /**
   * Cookies are Secure but on an app's own plain-http port (the edge is https, or localhost under
   * wrangler dev). Behind a proxy that ends TLS, its `X-Forwarded-Proto: https` says so: a client
   * that forges it only gets cookies its own browser keeps for https.
   */
  const secure = (request: Request) => !options.inProcess || request.url.startsWith('https:') || forwardedHttps(request);

  return async function dashboard(request: Request, client: string | (() => string)): Promise<Response | null> {
    const url = new URL(request.url);
    const rest = subPath(url.pathname, base);
    if (rest === null) return null;
    options.onOwnRequest?.(request);
    let response: Response;
    try {
      response = await route(request, url, rest, typeof client === 'function' ? client() : client);
    } catch (error) {
      const named = error instanceof FormError ? problem(error.status, error.code, error.message) : options.answerFailure?.(error);
      if (named !== undefined) {
        response = named;
      } else {
        // The dashboard must never take its host down; say what failed without leaking internals.
        console.error(`bun-apm dashboard: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);
        response = problem(500, 'internal', 'the dashboard failed to answer; see the server log');
      }
    }
    // An answer given before the body was read (a refusal, a 404) must not reset the connection.
    await drainBody(request, MAX_FORM_BYTES);
    // A refusal in JSON becomes a page for a browser; a page of its own (a trace not found) stays.
    return response.status >= 400 && asksForPage(request) && !response.headers.get('content-type')?.startsWith('text/html') ? errorPage(response, home) : response;
  };

  async function route(request: Request, url: URL, rest: string, client: string): Promise<Response> {
    if (rest.startsWith('/assets/')) return asset(request, rest.slice('/assets/'.length));
    if (request.method === 'POST' && !sameOrigin(request, url)) return problem(403, 'forbidden', 'cross-origin form posts are refused');
    const time = now();
    if (rest === '/login') return login(request, url, client, time);
    if (rest === '/login/basic') return basicLogin(request, url, client, time);

    const who = await auth.check(request, client, time);
    if (!who.ok) return refuse(who, request, url, rest);
    // A page's script reads with the page's session: the password a browser keeps is sent with them
    // too, and would keep a tab signed out elsewhere (or whose session expired) refreshing for good.
    if (who.via === 'basic' && fromScript(request)) return problem(401, 'unauthorized', 'your session ended: sign in again');
    if (rest === '/logout') return logout(request, who);
    const page = request.method === 'GET' && isPage(rest);
    // A browser on basic auth gets a session with its first page, so its forms have a CSRF token.
    const opened = page && who.via === 'basic' ? await auth.openSession(who.subject, time) : null;
    const sessionId = who.sessionId ?? opened?.id ?? null;
    const ctx = await context(url, sessionId);
    if (ctx === null) return problem(404, 'not_found', 'no such app');

    const feature = featureOf(rest);
    if (feature && !ctx.features[feature]) return problem(404, 'not_found', `no such dashboard page: features.${feature} is off`);
    if (rest === '/alerts/resolve') return resolve(request, who, ctx, time);
    if (request.method !== 'GET' && request.method !== 'HEAD') return problem(405, 'method_not_allowed', `${request.method} is not allowed here`, { Allow: 'GET, HEAD' });
    const response = await read(rest, url, ctx, windowOf(ctx.range, time));
    if (opened) response.headers.append('Set-Cookie', setCookie(SESSION_COOKIE, opened.token, cookiePath, opened.maxAgeSeconds, secure(request)));
    return response;
  }

  async function asset(request: Request, name: string): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return problem(405, 'method_not_allowed', 'assets are read with GET', { Allow: 'GET, HEAD' });
    const file = options.serveAsset ? await options.serveAsset(name) : null;
    return file ? withSecurityHeaders(file, 'asset') : problem(404, 'not_found', 'no such asset');
  }

  async function read(rest: string, url: URL, ctx: ViewContext, window: TimeWindow): Promise<Response> {
    const { source, views } = options;
    const sort = oneOf<RouteSort>(url, 'sort', ROUTE_SORTS, 'requests');
    const page: RouteFilter = { route: ctx.route, method: ctx.method };
    const filter = traceFilter(url, page);
    switch (rest) {
      case '':
      case '/': {
        const f = ctx.features;
        const [summary, live, routes, alerts, traces, instances, hasData, notReceived, usage, sampling] = await Promise.all([
          source.summary(ctx.app, window, page),
          source.live(ctx.app, page),
          source.routes(ctx.app, window, sort, ROUTES_SHOWN + 1),
          f.alertsPanel ? source.alerts(ctx.app) : { alerts: [] },
          f.tracingView ? source.traces(ctx.app, window, filter) : [],
          f.systemMetrics ? source.instances(ctx.app, window) : [],
          source.hasData(ctx.app),
          source.requestsNotReceived?.(ctx.app, window) ?? [],
          source.usage?.(ctx.app),
          source.sampling?.(ctx.app, window) ?? [],
        ]);
        return html(await views.page(ctx, { summary, live, routes, sort, alerts, traces, traceFilter: filter, instances, hasData, notReceived, usage, sampling }));
      }
      case '/fragments/summary': {
        const [summary, live] = await Promise.all([source.summary(ctx.app, window, page), source.live(ctx.app, page)]);
        return html(await views.summary(ctx, summary, live));
      }
      case '/fragments/routes':
        return html(await views.routes(ctx, await source.routes(ctx.app, window, sort, ROUTES_SHOWN + 1), sort));
      case '/fragments/alerts':
        return html(await views.alerts(ctx, await source.alerts(ctx.app)));
      case '/fragments/traces':
        return html(await views.traces(ctx, await source.traces(ctx.app, window, filter), filter));
      case '/data/timeseries':
        return json(await source.timeseries(ctx.app, oneOf(url, 'metric', CHART_METRICS, 'latency'), window, page));
      case '/data/system':
        return json(await source.system(ctx.app, oneOf(url, 'metric', SYSTEM_METRICS, 'memory'), window));
      case '/export.json':
        return viewExport(source, ctx, window, sort, now());
    }
    const trace = /^\/traces\/([0-9a-f]{32})$/.exec(rest);
    if (trace) {
      const found = await source.trace(ctx.app, trace[1]!);
      // A trace no longer kept is a 404 (a link kept from before), its page saying why; one whose
      // rows could not be read is there, damaged, and its page says that.
      return html(await views.trace(ctx, trace[1]!, found), found.spans.length === 0 && !found.warnings?.length ? 404 : 200);
    }
    return problem(404, 'not_found', 'no such dashboard page');
  }

  async function context(url: URL, sessionId: string | null): Promise<ViewContext | null> {
    const apps = await options.source.apps();
    // `app=` is no app named: the default, as any other empty dashboard parameter.
    const wanted = single(url, 'app') || options.defaultApp || (await firstWithData(apps)) || '';
    if (apps.length > 0 && !apps.includes(wanted)) return null;
    const route = textParam(url, 'route');
    // Read whatever the route: a method that is not one is refused; a good one without a route is none.
    const method = methodParam(url);
    return {
      base,
      assets: options.assetsPath,
      title: options.title,
      app: wanted,
      apps,
      range: oneOf(url, 'range', Object.keys(RANGES) as RangeName[], '1h'),
      route,
      // A method filters a route's row; without a route, none (the charts and the chip would not say it).
      method: route === undefined ? undefined : method,
      refreshMs: options.refreshInterval,
      // Without a session there is nothing to bind a token to: forms then can't post (scripts use the API).
      csrf: sessionId ? await auth.csrfFor(sessionId) : '',
      features: options.features,
      inProcess: options.inProcess ?? false,
    };
  }

  /**
   * The app a visit naming none opens on: the first with data, of the first few (a store read each),
   * else the first. The first by name alone had opened on "No data for blog yet" beside a busy shop
   * (a review: the README's `keys --app blog` adds such an app).
   */
  async function firstWithData(apps: readonly string[]): Promise<string | undefined> {
    for (const app of apps.slice(0, DEFAULT_APP_PROBES)) if (await options.source.hasData(app)) return app;
    return apps[0];
  }

  /** The CSRF check of every state-changing post: a session, and that session's token. */
  async function csrfRefusal(request: Request, who: Extract<Who, { ok: true }>, form: URLSearchParams): Promise<Response | null> {
    if (who.via === 'open') return null;
    const token = field(form, 'csrf') ?? request.headers.get('x-csrf-token');
    if (who.sessionId === null || !(await auth.csrfValid(who.sessionId, token))) {
      return problem(403, 'csrf', 'missing or wrong CSRF token: reload the page and try again');
    }
    return null;
  }

  async function resolve(request: Request, who: Extract<Who, { ok: true }>, ctx: ViewContext, time: number): Promise<Response> {
    if (request.method !== 'POST') return problem(405, 'method_not_allowed', 'resolve an alert with POST', { Allow: 'POST' });
    const form = await readForm(request);
    const refused = await csrfRefusal(request, who, form);
    if (refused) return refused;
    const id = field(form, 'id');
    if (id === null || !ALERT_ID.test(id)) return problem(422, 'invalid_field', 'id: expected the id of one alert (1..200 characters)');
    if (!(await options.source.resolveAlert(ctx.app, id, time))) return problem(404, 'not_found', 'no open alert with that id');
    if (request.headers.has('hx-request')) return html(await options.views.alerts(ctx, await options.source.alerts(ctx.app)));
    return redirect(`${base}?app=${encodeURIComponent(ctx.app)}`);
  }

  /** Ends the session on the server (its cookie and CSRF token die with it) and clears the cookie. */
  async function logout(request: Request, who: Extract<Who, { ok: true }>): Promise<Response> {
    if (request.method !== 'POST') return problem(405, 'method_not_allowed', 'sign out with POST', { Allow: 'POST' });
    const form = await readForm(request);
    const refused = await csrfRefusal(request, who, form);
    if (refused) return refused;
    if (who.sessionId !== null) await auth.closeSession(who.sessionId);
    const cleared = { 'Set-Cookie': setCookie(SESSION_COOKIE, '', cookiePath, 0, secure(request)) };
    // With basic alone, the dashboard's page would challenge, and a browser answers from the
    // password it keeps: signed in again at once (a review). So the sign-out ends here.
    if (!auth.apiKeyEnabled) return notePage(home, 200, 'Signed out', 'Your browser keeps the basic-auth password until it is closed; going back to the dashboard signs you in again with it.', new Headers(cleared));
    // To the page signed out from (its app, range and route), whose sign-in comes back to it.
    return redirect(safeNext(field(form, 'next'), base), cleared);
  }

  async function login(request: Request, url: URL, client: string, time: number): Promise<Response> {
    const reading = request.method === 'GET' || request.method === 'HEAD';
    // The page's "sign in again" link names /login whatever the methods: with basic alone it is the challenge.
    if (!auth.apiKeyEnabled && auth.basicEnabled && reading) return redirect(`${base}/login/basic${nextQuery(safeNext(url.searchParams.get('next'), base), base)}`);
    if (!auth.apiKeyEnabled) return problem(404, 'not_found', 'API-key login is not configured');
    if (reading) return html(await signInPage(undefined, safeNext(url.searchParams.get('next'), base)));
    if (request.method !== 'POST') return problem(405, 'method_not_allowed', 'sign in with POST', { Allow: 'GET, HEAD, POST' });
    const form = await readForm(request);
    const next = safeNext(field(form, 'next'), base);
    const result = await auth.checkKey(request, field(form, 'apiKey') ?? '', client, time);
    if (!result.ok && result.status === 429) return html(await signInPage(sentence(lockedOut(result)), next), 429, { 'Retry-After': retryAfter(result) });
    if (!result.ok) return html(await signInPage('That API key is not valid.', next), 401);
    return signedIn(result.subject, next, time, request);
  }

  /** Basic auth on demand: challenges until the browser sends good credentials, then goes on to `next`. */
  async function basicLogin(request: Request, url: URL, client: string, time: number): Promise<Response> {
    if (!auth.basicEnabled) return problem(404, 'not_found', 'basic authentication is not configured');
    const next = safeNext(url.searchParams.get('next'), base);
    const who = await auth.checkBasic(request, client, time);
    // Browsers resend basic credentials only under the challenged path, so the rest of the
    // dashboard gets a session cookie, as after an API-key sign-in.
    if (who.ok) return signedIn(who.subject, next, time, request);
    const headers: Record<string, string> = { 'WWW-Authenticate': BASIC_CHALLENGE };
    if (who.status === 429) headers['Retry-After'] = retryAfter(who);
    // A browser shows the body once the prompt is cancelled: the sign-in page, with what went wrong.
    if (auth.apiKeyEnabled && asksForPage(request)) {
      const said = who.status === 429 ? sentence(lockedOut(who)) : who.presented ? 'That username or password is not valid.' : undefined;
      return html(await signInPage(said, next), who.status, headers);
    }
    if (who.status === 429) return problem(429, 'too_many_attempts', lockedOut(who), headers);
    const message = who.presented ? 'that username or password is not valid' : 'sign in with the dashboard username and password';
    return problem(401, 'unauthorized', message, headers);
  }

  /** A fresh session (never one the browser brought) and a trusted-device mark, then on to `next`. */
  async function signedIn(subject: string, next: string, time: number, request: Request): Promise<Response> {
    const session = await auth.openSession(subject, time);
    const device = await auth.deviceToken(subject, time);
    const headers = new Headers();
    const secureCookies = secure(request);
    headers.append('Set-Cookie', setCookie(SESSION_COOKIE, session.token, cookiePath, session.maxAgeSeconds, secureCookies));
    headers.append('Set-Cookie', setCookie(DEVICE_COOKIE, device.token, cookiePath, device.maxAgeSeconds, secureCookies));
    return redirect(next, headers);
  }

  async function refuse(result: Refusal, request: Request, url: URL, rest: string): Promise<Response> {
    if (result.status === 429) return problem(429, 'too_many_attempts', lockedOut(result), { 'Retry-After': retryAfter(result) });
    const headers: Record<string, string> = {};
    const page = isPage(rest);
    // With both methods on, a browser page gets the login form without a surprise password prompt;
    // the form links to /login/basic, which challenges. A script's request (a refresh after the
    // session ended) never does: the browser would prompt once per panel. Other clients get it.
    const challenge = !fromScript(request) && !(auth.apiKeyEnabled && page && !result.presented);
    if (auth.basicEnabled && challenge) headers['WWW-Authenticate'] = BASIC_CHALLENGE;
    if (auth.apiKeyEnabled && page && !result.presented) {
      return html(await signInPage(undefined, safeNext(url.pathname + url.search, base)), 401, headers);
    }
    return problem(401, 'unauthorized', result.presented ? 'wrong credentials' : 'credentials required', headers);
  }

  function signInPage(error: string | undefined, next: string): string | Promise<string> {
    const ctx: ViewContext = { base, assets: options.assetsPath, title: options.title, app: '', apps: [], range: '1h', refreshMs: options.refreshInterval, csrf: '', features: options.features };
    return options.views.login(ctx, error, next, auth.basicEnabled);
  }
}

/** A problem's message as the sign-in page prints it. */
function sentence(message: string): string {
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
}

/** `?next=…` for a sign-in link, or nothing for the dashboard's home (where sign-in goes anyway). */
function nextQuery(next: string, base: string): string {
  return next === base ? '' : `?next=${encodeURIComponent(next)}`;
}

function isPage(rest: string): boolean {
  return rest === '' || rest === '/' || rest.startsWith('/traces/');
}

function retryAfter(refusal: Refusal): string {
  return String(Math.max(1, Math.ceil((refusal.retryAfterMs ?? 1000) / 1000)));
}

/** The part of `pathname` under `base` ('' for base itself), or null when outside it. */
function subPath(pathname: string, base: string): string | null {
  if (base === '/') return pathname;
  if (pathname === base) return '';
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : null;
}

/** The panel a path serves: a panel switched off answers nothing (traces can hold query strings and bodies). */
function featureOf(rest: string): keyof DashboardFeatures | undefined {
  if (rest === '/fragments/summary') return 'realTimeMetrics';
  if (rest === '/data/timeseries') return 'historicalCharts';
  if (rest === '/data/system') return 'systemMetrics';
  if (rest === '/fragments/alerts' || rest === '/alerts/resolve') return 'alertsPanel';
  if (rest === '/fragments/traces' || rest.startsWith('/traces/')) return 'tracingView';
  return undefined;
}

/** The first proxy in front (the client's side) says the request came over https. */
function forwardedHttps(request: Request): boolean {
  return request.headers.get('x-forwarded-proto')?.split(',', 1)[0]?.trim().toLowerCase() === 'https';
}

/** A post from our own pages: same Origin, or (no Origin) not marked cross-site by the browser. */
function sameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get('origin');
  if (origin === null) return (request.headers.get('sec-fetch-site') ?? 'same-origin') === 'same-origin' || request.headers.get('sec-fetch-site') === 'none';
  return origin === url.origin;
}

/** The range's window: ending at now rounded up to the range's step, as long as the range (the data covers up to now). */
function windowOf(range: RangeName, now: number): TimeWindow {
  const to = Math.ceil(now / RANGE_STEPS[range]) * RANGE_STEPS[range];
  return { from: to - RANGES[range], to };
}
