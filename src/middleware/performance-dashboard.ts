// PerformanceDashboard of the spec: the shared dashboard (views, handler) served in-process over
// the monitor's cells, the tracer's spans and the alerts, as a `(req, next)` middleware.
import { clientKey } from '../core/auth/client-key.ts';
import type { AlertView } from '../core/dashboard/data.ts';
import { createDashboardHandler, type DashboardHandler } from '../core/dashboard/handler.ts';
import { ALL_FEATURES, type DashboardFeatures } from '../core/dashboard/view-context.ts';
import { RollupTable, TEN_SECONDS_MS } from '../core/rollup.ts';
import type { SystemProfile } from '../core/wire-format.ts';
import { dashboardViews } from '../views/index.ts';
import { alertViews } from '../core/dashboard/alert-views.ts';
import { describeValue, MAX_ALERT_TEXT } from '../core/alerts/payloads/escape.ts';
import { DASHBOARD } from '../core/config/settings.ts';
import { defaultAppName } from '../plugin/runtime/app-name.ts';
import { createLog, errorClassOf } from '../plugin/runtime/log.ts';
import { processRecorder } from '../plugin/runtime/process-recorder.ts';
import { excludeRequest } from '../plugin/runtime/request-state.ts';
import { ConfigError } from '../core/config/config-error.ts';
import { checkOptionShapes, keysOf, optionChecks, strictSection, warnUnknownOptions } from './option-checks.ts';
import { inProcessSource } from './dashboard/in-process-source.ts';
import { serveAsset } from './dashboard/serve-asset.ts';
import type { PerformanceAlerting } from './performance-alerting.ts';
import type { PerformanceMonitor } from './performance-monitor.ts';
import type { RequestTracer } from './request-tracer.ts';
import type { EnhancedRequest, NextFunction } from './types.ts';
import { latestPart } from './latest-parts.ts';
import { callersMistake } from './callers-mistake.ts';

export interface DashboardOptions {
  enabled?: boolean;
  /** Mount path (default `/performance`). */
  path?: string;
  title?: string;
  /** How often panels refresh, ms (default 5000). */
  refreshInterval?: number;
  /** The secrets may be given as undefined (read from an unset variable): an enabled dashboard without one refuses to start. */
  authentication?: { enabled?: boolean; username?: string | undefined; password?: string | undefined; apiKey?: string | undefined; sessionSecret?: string | undefined };
  features?: Partial<DashboardFeatures>;
  /** Where the data comes from; each is optional (instances or the factories' middlewares). */
  monitor?: Pick<PerformanceMonitor, 'getRollupCells' | 'getProfiles' | 'getActiveAlerts'> & { alerting?: Pick<PerformanceAlerting, 'resolveAlert'> | undefined };
  tracer?: Pick<RequestTracer, 'getRecentSpans'>;
  alerting?: Pick<PerformanceAlerting, 'getActiveAlerts' | 'getAllNotifications' | 'resolveAlert'>;
  /** The app's name on the page (default: the name in ./package.json, else the directory's name, as the preload's). */
  app?: string;
  /**
   * The Bun server (or a function returning it, for a server created after the dashboard), so
   * the sign-in limits count failures per client socket address (`server.requestIP`). Or pass it
   * as `handle(req, next, server)`. Without it (and without `clientId`) every caller counts as one
   * client: sessions and browsers that signed in before still always get in, but a stranger's
   * failures can slow other strangers.
   */
  server?: RequestIPSource | (() => RequestIPSource | undefined);
  /**
   * Who is asking, when you know better than the socket: e.g. behind your own proxy, the address
   * it puts in X-Forwarded-For. Never trust a header a client can set directly.
   */
  clientId?: (req: Request) => string;
  now?: () => number;
}

/** What Bun's `Server` offers for the caller's address. */
export interface RequestIPSource {
  requestIP(req: Request): { address: string } | null;
}

/** A point of the spec's `updateMetricsHistory`: what one interval saw. */
export interface MetricsHistoryData {
  responseTime: number;
  memoryUsage: number;
  requestCount: number;
  errorCount: number;
  timestamp?: number;
}

const option = optionChecks('performanceDashboard');
const DASHBOARD_OPTIONS = keysOf<DashboardOptions>()([
  'enabled', 'path', 'title', 'refreshInterval', 'authentication', 'features', 'monitor', 'tracer', 'alerting', 'app', 'server', 'clientId', 'now',
]);
const AUTH_OPTIONS = keysOf<NonNullable<DashboardOptions['authentication']>>()(['enabled', 'username', 'password', 'apiKey', 'sessionSecret']);
const FEATURES = Object.keys(ALL_FEATURES);
/** The dashboard takes no `log`: its warnings go where bun-apm's others do (stderr). */
const log = createLog(false);

const MAX_MANUAL_ALERTS = 500;
const MAX_MANUAL_PROFILES = 10_000;
/** Two cells a point (its requests and its errors): as many points as profiles, a day of one each 10 s. */
const MAX_MANUAL_CELLS = 2 * MAX_MANUAL_PROFILES;

/**
 * @example
 * const dashboard = new PerformanceDashboard({ path: '/performance', monitor, authentication: { enabled: true, apiKey } });
 * router.use((req, next) => dashboard.handle(req, next));
 */
export class PerformanceDashboard {
  readonly #options: DashboardOptions;
  readonly #handler: DashboardHandler | undefined;
  readonly #manualAlerts: AlertView[] = [];
  /** updateMetricsHistory's figures, in 10-second cells like the monitor's recent ones (the charts' finest step). */
  readonly #manualCells = new RollupTable(TEN_SECONDS_MS);
  readonly #manualProfiles: SystemProfile[] = [];
  readonly #now: () => number;
  // Each part given, else the one made last in the process (read per request: it may come later).
  readonly #monitor = () => this.#options.monitor ?? latestPart<PerformanceMonitor>('monitor');
  readonly #alerting = () => this.#options.alerting ?? latestPart<PerformanceAlerting>('alerting');
  #alertCounter = 0;

  constructor(options: DashboardOptions = {}) {
    try {
      // Bound: `router.use(x.handle)` passes the method alone, without its object (a review).
      this.handle = this.handle.bind(this);
      checkOptionShapes('performanceDashboard', options, { clientId: 'function', now: 'function' });
      checkServer(options.server);
      checkPart('monitor', options.monitor, MONITOR_PART, 'the monitor (performanceMonitor())');
      checkPart('tracer', options.tracer, TRACER_PART, 'the tracer (requestTracer())');
      checkPart('alerting', options.alerting, ALERTING_PART, 'the alerting (performanceAlerting())');
      this.#options = options;
      this.#now = options.now ?? Date.now;
      warnUnknownOptions('performanceDashboard', options, DASHBOARD_OPTIONS, (line) => log.warnOnce(line, line));
      if (option(DASHBOARD.enabled, options.enabled) === false) return;
      // With the preload, its requests carry their state from now on: the exclusion below finds it after any await.
      processRecorder();
      const auth = authenticationOf(options.authentication);
      const path = mountedPath(option(DASHBOARD.path, options.path));
      const monitor = this.#monitor;
      const tracer = () => options.tracer ?? latestPart<RequestTracer>('tracer');
      const alerting = this.#alerting;
      this.#handler = createDashboardHandler({
        path,
        title: option(DASHBOARD.title, options.title),
        refreshInterval: option(DASHBOARD.refreshInterval, options.refreshInterval),
        features: featuresOf(options.features),
        authentication: auth,
        source: inProcessSource({
          app: option(DASHBOARD.app, options.app) ?? defaultAppName(process.cwd()),
          cells: () => [...(monitor()?.getRollupCells() ?? []), ...this.#manualCells.cellsNow()],
          profiles: () => [...(monitor()?.getProfiles() ?? []), ...this.#manualProfiles].sort((a, b) => a.timestamp - b.timestamp),
          spans: () => tracer()?.getRecentSpans() ?? [],
          alerts: () => {
            const [rules, thresholds] = [alerting(), monitor()];
            return [
              ...this.#manualAlerts,
              ...(rules ? alertViews(rules.getActiveAlerts(), rules.getAllNotifications()) : []),
              ...(thresholds ? alertViews(thresholds.getActiveAlerts(), []) : []),
            ];
          },
          resolveAlert: (id) => this.resolveAlert(id),
          now: this.#now,
        }),
        views: dashboardViews,
        inProcess: true,
        assetsPath: `${path.replace(/\/+$/, '')}/assets`,
        serveAsset,
        // Its own polling is not the app's traffic, for the preload and the monitor alike, whatever the order of the middlewares.
        onOwnRequest: excludeRequest,
        now: this.#now,
      });
    } catch (error) {
      throw callersMistake(error, new.target);
    }
  }

  /** Answers the dashboard's paths and passes every other request on. `server`: see the option. */
  async handle(req: EnhancedRequest, next: NextFunction, server?: RequestIPSource): Promise<Response> {
    if (!this.#handler) return next();
    return (await this.#handler(req, () => this.#clientOf(req, server))) ?? next();
  }

  /** Asked for the dashboard's paths only: a clientId that fails on the app's requests (a header they lack) had made each of them a 500. */
  #clientOf(req: Request, server: RequestIPSource | undefined): string {
    try {
      if (this.#options.clientId) return String(this.#options.clientId(req));
    } catch (error) {
      log.warnOnce('dashboard-client-id', `performanceDashboard option clientId threw (${errorClassOf(error)}); such callers share one sign-in limit as "unknown"`);
      return 'unknown';
    }
    try {
      const option = this.#options.server;
      const source = server ?? (typeof option === 'function' ? option() : option);
      const address = source?.requestIP(req)?.address;
      if (address) return clientKey(address);
    } catch {
      // A request this server did not receive (e.g. built in a test): no address to go by.
    }
    return 'unknown';
  }

  /** Shows an alert of your own on the alerts panel; returns its id for resolveAlert. */
  addAlert(type: 'warning' | 'critical', message: string): string {
    // Any other type had been shown as a warning, silently ('fatal', 'error').
    if (type !== 'warning' && type !== 'critical') throw callersMistake(new RangeError(`addAlert: expected type 'warning' or 'critical', got ${typeof type === 'string' ? JSON.stringify((type as string).slice(0, 64)) : typeof type}`), PerformanceDashboard.prototype.addAlert);
    const id = `manual-${++this.#alertCounter}`;
    // As text, whatever it is (an Error or an object kept as it came broke every page that showed
    // it), and as short as a rule's error: up to MAX_MANUAL_ALERTS are kept and rendered on each page.
    const name = describeValue(message, MAX_ALERT_TEXT);
    this.#manualAlerts.unshift({ id, name, severity: type === 'critical' ? 'critical' : 'warning', state: 'firing', startedAt: this.#now() });
    this.#manualAlerts.length = Math.min(this.#manualAlerts.length, MAX_MANUAL_ALERTS);
    return id;
  }

  /** Resolves an alert added here or one of the alerting rules'; false when none is open with this id. */
  resolveAlert(id: string): boolean {
    const manual = this.#manualAlerts.find((a) => a.id === id && a.state !== 'resolved');
    if (manual) {
      manual.state = 'resolved';
      manual.resolvedAt = this.#now();
      return true;
    }
    // The panel shows the alerting's alerts and the monitor's threshold alerts: either resolves.
    return this.#alerting()?.resolveAlert(id) || this.#monitor()?.alerting?.resolveAlert(id) || false;
  }

  /** Adds one interval's numbers to the charts (the monitor does this by itself when given). */
  updateMetricsHistory(data: MetricsHistoryData): void {
    const problem = historyProblem(data);
    // A NaN had drawn as 0 µs, Infinity as a month, a text timestamp as requests the summary never saw (a review).
    if (problem !== undefined) throw callersMistake(new RangeError(`updateMetricsHistory: ${problem}`), PerformanceDashboard.prototype.updateMetricsHistory);
    const time = data.timestamp ?? this.#now();
    const requests = data.requestCount;
    const errors = Math.min(data.errorCount, requests);
    if (errors > 0) this.#manualCells.record(time, 'ALL', 'all requests', 500, data.responseTime, 0, false, errors);
    if (requests > errors) this.#manualCells.record(time, 'ALL', 'all requests', 200, data.responseTime, 0, false, requests - errors);
    if (this.#manualCells.size > MAX_MANUAL_CELLS) this.#keepNewestHalf();
    if (data.memoryUsage > 0) {
      this.#manualProfiles.push({ timestamp: time, rss: data.memoryUsage, heapUsed: 0, heapTotal: 0, cpuPercent: 0, eventLoopLagMs: 0, inFlight: 0 });
      if (this.#manualProfiles.length > MAX_MANUAL_PROFILES) this.#manualProfiles.shift();
    }
  }

  /** Every point was kept for good (a review: 39 MB for 50,000); halving at the bound costs O(1) a point. */
  #keepNewestHalf(): void {
    const cells = this.#manualCells.drain().sort((a, b) => a.minute - b.minute);
    for (const cell of cells.slice(cells.length - MAX_MANUAL_CELLS / 2)) this.#manualCells.mergeCell(cell);
  }
}

/** A day, ms: the longest response time a point may say (the wire format's bound on a duration). */
const MAX_RESPONSE_MS = 86_400_000;
/** Requests one point may count: a billion an interval is far past any one process. */
const MAX_POINT_REQUESTS = 1_000_000_000;

/** What is wrong with a point of updateMetricsHistory, named, or undefined. */
function historyProblem(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return `expected an object of responseTime, memoryUsage, requestCount, errorCount and timestamp?, got ${data === null ? 'null' : typeof data}`;
  const point = data as Record<string, unknown>;
  const number = (key: string, max: number, integer: boolean): string | undefined => {
    const value = point[key];
    if (typeof value === 'number' && value >= 0 && value <= max && (!integer || Number.isInteger(value))) return undefined;
    return `${key}: expected ${integer ? 'a whole number' : 'a number'} from 0 to ${max}, got ${typeof value === 'number' ? value : typeof value}`;
  };
  const problem = number('responseTime', MAX_RESPONSE_MS, false) ?? number('memoryUsage', Number.MAX_SAFE_INTEGER, false) ?? number('requestCount', MAX_POINT_REQUESTS, true) ?? number('errorCount', MAX_POINT_REQUESTS, true);
  if (problem !== undefined) return problem;
  if (point.timestamp !== undefined && !(typeof point.timestamp === 'number' && Number.isFinite(point.timestamp) && point.timestamp > 0)) {
    return `timestamp: expected epoch milliseconds (or leave it out for now), got ${typeof point.timestamp === 'number' ? point.timestamp : typeof point.timestamp}`;
  }
  return undefined;
}

/**
 * The dashboard answers every path under its own (a 404 for a page it lacks), so at `/` it would
 * answer all of the app's requests instead of passing them on. The edge may mount it at `/`: the
 * Worker serves nothing else there.
 */
function mountedPath(path: string): string {
  if (path.replace(/\/+$/, '') === '') {
    throw new ConfigError(`performanceDashboard option path: expected a path below / such as "/performance", got ${JSON.stringify(path)} (the dashboard answers every path under its own, so it would take all of the app's requests)`);
  }
  return path;
}

/** A Bun server or a function returning one: anything else (a port number) would fail only per request, then silently. */
function checkServer(server: unknown): void {
  if (server === undefined || typeof server === 'function') return;
  if (server !== null && typeof server === 'object' && typeof (server as { requestIP?: unknown }).requestIP === 'function') return;
  throw new ConfigError('performanceDashboard option server: expected the Bun server (with requestIP) or a function returning it');
}

// What the pages ask of each part given.
const MONITOR_PART: ReadonlyArray<keyof NonNullable<DashboardOptions['monitor']>> = ['getRollupCells', 'getProfiles', 'getActiveAlerts'];
const TRACER_PART: ReadonlyArray<keyof NonNullable<DashboardOptions['tracer']>> = ['getRecentSpans'];
const ALERTING_PART: ReadonlyArray<keyof NonNullable<DashboardOptions['alerting']>> = ['getActiveAlerts', 'getAllNotifications', 'resolveAlert'];

/** A part without the methods the pages call (`monitor: {}`) had been taken, and then every page answered 500. */
function checkPart(name: string, part: unknown, methods: readonly string[], expected: string): void {
  if (part === undefined) return;
  const held = part !== null && (typeof part === 'object' || typeof part === 'function') ? (part as Record<string, unknown>) : {};
  const missing = methods.filter((method) => typeof held[method] !== 'function');
  if (missing.length > 0) throw new ConfigError(`performanceDashboard option ${name}: expected ${expected}, got ${part === null ? 'null' : typeof part} without ${missing.join(', ')}`);
}

/**
 * The sign-in options, checked so that a mistake fails closed: given at all, authentication is on
 * unless `enabled: false`, and on it needs username+password or apiKey (a misspelt key, or a
 * secret read from an unset variable, had left the dashboard open to anyone).
 */
function authenticationOf(given: DashboardOptions['authentication'] | unknown): NonNullable<DashboardOptions['authentication']> {
  if (given === undefined) return { enabled: false };
  const expected = 'an object such as { apiKey } or { username, password }, or leave it out for an open dashboard';
  const auth: NonNullable<DashboardOptions['authentication']> = strictSection('performanceDashboard', 'authentication', given, AUTH_OPTIONS, expected);
  for (const key of ['username', 'password', 'apiKey', 'sessionSecret'] as const) {
    if (auth[key] !== undefined && typeof auth[key] !== 'string') throw new ConfigError(`performanceDashboard option authentication.${key}: expected a string`);
    // Spaces alone read as set here and as nothing when compared (a plain Error had come from deeper in).
    if (auth[key] !== '' && auth[key]?.trim() === '') throw new ConfigError(`performanceDashboard option authentication.${key}: only blanks; expected a secret (or leave it out)`);
  }
  const enabled = option(DASHBOARD.authEnabled, auth.enabled);
  if (enabled && !auth.apiKey && !(auth.username && auth.password)) {
    // One of the pair given: the other is the mistake to name (often a variable that is unset).
    if (auth.username || auth.password) {
      const [given, missing] = auth.username ? ['username', 'password'] : ['password', 'username'];
      throw new ConfigError(`performanceDashboard option authentication.${missing}: not set, but ${given} is (unset variable?); set both, or apiKey instead`);
    }
    throw new ConfigError('performanceDashboard option authentication: on, but neither username+password nor apiKey is set (unset variables?); set one, or enabled: false for an open dashboard');
  }
  return { ...auth, enabled };
}

function featuresOf(given: unknown): DashboardFeatures {
  if (given === undefined) return ALL_FEATURES;
  const features = { ...ALL_FEATURES };
  for (const [key, value] of Object.entries(strictSection('performanceDashboard', 'features', given, FEATURES, 'an object of true/false flags'))) {
    if (value === undefined) continue; // as everywhere: undefined is the default
    if (typeof value !== 'boolean') throw new ConfigError(`performanceDashboard option features.${key}: expected true or false`);
    features[key as keyof DashboardFeatures] = value;
  }
  return features;
}

export type PerformanceDashboardMiddleware = ((req: EnhancedRequest, next: NextFunction, server?: RequestIPSource) => Promise<Response>) & PerformanceDashboard;

/** The spec's factory: a middleware function that is also the dashboard's API. */
export function performanceDashboard(options: DashboardOptions = {}): PerformanceDashboardMiddleware {
  let dashboard: PerformanceDashboard;
  try {
    dashboard = new PerformanceDashboard(options);
  } catch (error) {
    throw callersMistake(error, performanceDashboard);
  }
  const middleware = function performanceDashboard(req: EnhancedRequest, next: NextFunction, server?: RequestIPSource): Promise<Response> {
    return dashboard.handle(req, next, server);
  };
  for (const name of ['handle', 'addAlert', 'resolveAlert', 'updateMetricsHistory'] as const) {
    Object.defineProperty(middleware, name, { value: (dashboard[name] as (...a: unknown[]) => unknown).bind(dashboard) });
  }
  return middleware as PerformanceDashboardMiddleware;
}
