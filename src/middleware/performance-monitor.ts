// The spec's PerformanceMonitor: every request counted into rollup cells (1 s wide for the recent
// past, widening with age; exact counts, sketch percentiles), a detail record for `sampleRate` of them, system profiles, storage and thresholds.
// It counts through the shared Recorder, so with the preload in the same process a request is counted
// once (the preload's recorder times it; the monitor counts the requests that went through its handle).
import { classifyUserAgent, type UserAgentClass } from '../core/user-agent.ts';
import type { LiveCell } from '../core/rollup.ts';
import { registerExitStorage } from '../plugin/runtime/exit-storages.ts';
import { createLog, errorClassOf, type Log } from '../plugin/runtime/log.ts';
import type { FinishedRequest, Recorder } from '../plugin/runtime/recorder.ts';
import { SystemProfiler } from '../plugin/runtime/system-profiler.ts';
import type { AlertNotification } from '../core/alerts/notification.ts';
import type { PerformanceAlerting } from './performance-alerting.ts';
import { aggregateMetrics } from './monitor/aggregate-metrics.ts';
import { MemoryGauge } from './monitor/memory-gauge.ts';
import { createMetricsSink, MetricsRing, type MetricsSink } from './monitor/metrics-storage.ts';
import { TieredCells } from './monitor/tiered-cells.ts';
import { resolveMonitorOptions, THRESHOLDS, type ResolvedMonitorOptions } from './monitor/monitor-options.ts';
import { sharedRecorder } from './monitor/shared-recorder.ts';
import { thresholdAlerting } from './monitor/threshold-alerting.ts';
import type { AggregatedMetrics, EnhancedRequest, NextFunction, PerformanceMetrics, PerformanceOptions, SystemProfile } from './types.ts';
import { forgetPart, rememberPart } from './latest-parts.ts';
import { answerStatus, serverOf } from './answer-status.ts';
import { checkOptionShapes, keysOf, warnUnknownOptions } from './option-checks.ts';
import { callersMistake } from './callers-mistake.ts';
import { templateFromParams } from '../plugin/runtime/route-path.ts';
import { stateOf } from '../plugin/runtime/request-state.ts';
import { normalisePath } from '../core/route-normaliser.ts';
import { shownPath } from '../core/redaction/redaction.ts';
import { ownCut } from '../core/own-copy.ts';

/** User-Agent headers longer than this are classified each time, not cached. */
const UA_CACHED_LENGTH = 512;
const UA_CACHE_MAX = 1000;

const MONITOR_OPTIONS = keysOf<PerformanceOptions>()(['enabled', 'sampleRate', 'storage', 'profiling', 'alerting', 'debug', 'retention', 'log', 'random']);
const MONITOR_SHAPES = {
  storage: keysOf<NonNullable<PerformanceOptions['storage']>>()(['type', 'maxEntries', 'filePath', 'customHandler', 'batchSize', 'flushInterval']),
  profiling: keysOf<NonNullable<PerformanceOptions['profiling']>>()(['enabled', 'interval', 'maxProfiles']),
  alerting: keysOf<NonNullable<PerformanceOptions['alerting']>>()(['enabled', 'thresholds', 'channels']),
  retention: keysOf<NonNullable<PerformanceOptions['retention']>>()(['maxAgeMs', 'maxCells']),
  log: 'function',
  random: 'function',
} as const;

/**
 * @example
 * const monitor = new PerformanceMonitor({ sampleRate: 0.1, storage: { type: 'memory', maxEntries: 10000 } });
 * router.use((req, next) => monitor.handle(req, next));
 * monitor.getAggregatedMetrics(3_600_000).responseTime.p95;
 */
export class PerformanceMonitor {
  /** The in-process alerting fed by `alerting.thresholds` (undefined without thresholds). */
  readonly alerting: PerformanceAlerting | undefined;
  readonly #options: ResolvedMonitorOptions;
  readonly #log: Log;
  readonly #recorder: Recorder;
  readonly #stopObserving: () => void;
  readonly #store: TieredCells;
  readonly #ring: MetricsRing;
  readonly #sink: MetricsSink | undefined;
  /** Takes the sink out of what the end of the process flushes (close() flushed it). */
  readonly #leaveExit: () => void;
  readonly #profiler: SystemProfiler | undefined;
  readonly #memory = new MemoryGauge();
  readonly #userAgents = new Map<string, UserAgentClass>();
  /** Requests that went through this monitor's handle: the recorder reports every request it ended, and this monitor counts its own. */
  readonly #mine = new WeakSet<Request>();
  #profiles: SystemProfile[] = [];
  #latestProfile: SystemProfile | undefined;

  constructor(options: PerformanceOptions = {}) {
    try {
      // Bound: `router.use(x.handle)` passes the method alone, without its object (a review).
      this.handle = this.handle.bind(this);
      checkOptionShapes('performanceMonitor', options, MONITOR_SHAPES);
      this.#options = resolveMonitorOptions(options);
      const write = options.log;
      this.#log = createLog(this.#options.debug, write);
      const warn = (line: string) => this.#log.warnOnce(line, line);
      warnUnknownOptions('performanceMonitor', options, MONITOR_OPTIONS, warn, MONITOR_SHAPES);
      // A level deeper than the sections: `thresholds: { errorrate: 0.05 }` would alert on nothing.
      if (options.alerting?.thresholds) warnUnknownOptions('performanceMonitor', options.alerting.thresholds, Object.keys(THRESHOLDS), warn, {}, 'alerting.thresholds.');
      this.#sink = createMetricsSink(options.storage ?? {}, this.#log);
      this.alerting = thresholdAlerting(options.alerting, this.#options.thresholds, write);
      // The thresholds' alerts show through the monitor, not as the app's alerting.
      if (this.alerting !== undefined) forgetPart(this.alerting);
      rememberPart('monitor', this);
      this.#store = new TieredCells(this.#options.maxAgeMs, this.#options.maxCells);
      this.#ring = new MetricsRing(this.#options.memoryMaxEntries);
      this.#recorder = sharedRecorder();
      this.#stopObserving = this.#recorder.observe((finished) => this.#observe(finished));
      if (this.#options.enabled && this.#options.profiling.enabled) {
        this.#profiler = new SystemProfiler(this.#recorder, { interval: this.#options.profiling.interval, onProfile: (profile) => this.#addProfile(profile) });
        this.#profiler.start();
      }
      // Handed on at the end of the process too (by the preload's shutdown, else at beforeExit and exit); last, once nothing above has thrown.
      this.#leaveExit = this.#sink === undefined ? () => {} : registerExitStorage(this.#sink, this.#log);
    } catch (error) {
      throw callersMistake(error, new.target);
    }
  }

  /** Middleware: counts the request (unless the preload or another monitor already does) and runs the rest. */
  async handle(req: EnhancedRequest, next: NextFunction): Promise<Response> {
    if (!this.#options.enabled) return next();
    let state;
    try {
      this.#mine.add(req);
      // Under the preload the request has its state already, and the routes' key with it: nothing to find.
      state = this.#recorder.begin(req, stateOf(req) === undefined ? templateFromParams(req, normalisePath) : undefined);
    } catch {
      state = undefined;
    }
    if (state === undefined) return next();
    let response: Response;
    try {
      response = await next();
    } catch (error) {
      this.#recorder.fail(state, error);
      throw error;
    }
    if (answerStatus(req, response) === 101) state.upgraded = true;
    // Settled: awaited above, so a client gone meanwhile is a 499, as the preload counts it (it had been the handler's 200).
    return this.#recorder.respond(state, response, serverOf(req), true);
  }

  /** The detail records kept in memory (the newest `storage.maxEntries`), oldest first. */
  getMetrics(): PerformanceMetrics[] {
    return this.#ring.toArray();
  }

  /**
   * Every request of the last `timeWindow` ms: exact counts, percentiles within 1 %. The window
   * starts at the start of the kept window holding `now − timeWindow` — to the second for the last
   * 5 minutes, to 10 s up to 65 minutes, to the minute beyond — and `from`/`to` say which; the rate
   * divides by that time.
   *
   * @example
   * monitor.getAggregatedMetrics(10_000); // the last 10 s (to the second): { from, to, count, rps, … }
   */
  getAggregatedMetrics(timeWindow: number = 3_600_000): AggregatedMetrics {
    // A NaN, a negative or a string had read as some window silently: the caller's mistake, named.
    if (typeof timeWindow !== 'number' || !(timeWindow >= 0)) {
      throw callersMistake(new RangeError(`getAggregatedMetrics: expected timeWindow in ms, a number ≥ 0 (Infinity: all that is kept), got ${typeof timeWindow === 'number' ? timeWindow : typeof timeWindow === 'string' ? `string ${JSON.stringify((timeWindow as string).slice(0, 64))}` : typeof timeWindow}`), PerformanceMonitor.prototype.getAggregatedMetrics);
    }
    const to = Date.now();
    // Nothing older than retention is kept: a longer window (Infinity too) is the whole of it.
    const asked = Math.min(timeWindow, this.#options.maxAgeMs);
    const { start: from, widthMs: resolutionMs } = this.#store.windowAt(to - asked);
    return aggregateMetrics(this.#store.cells(from, Infinity), this.#store.counts(from, Infinity), { from, to, asked, resolutionMs });
  }

  /** System profiles, oldest first (the newest `profiling.maxProfiles`). */
  getProfiles(): SystemProfile[] {
    return [...this.#profiles];
  }

  /**
   * The minute cells of every request counted (bounded by retention), for the dashboard and the
   * core's query functions (summarise, routeTable, timeseries). Live objects: read, don't change.
   */
  getRollupCells(): LiveCell[] {
    return this.#store.cells();
  }

  /** Active alerts of the threshold rules ([] without thresholds). */
  getActiveAlerts(): AlertNotification[] {
    return this.alerting?.getActiveAlerts() ?? [];
  }

  clearMetrics(): void {
    this.#ring.clear();
    this.#store.clear();
    this.#profiles = [];
  }

  /** Resolves when storage has written or handed on every record so far. */
  async flush(): Promise<void> {
    await this.#sink?.flush();
    await this.alerting?.flush();
  }

  /** Stops observing and the profiler, and flushes storage. */
  async close(): Promise<void> {
    forgetPart(this);
    this.#stopObserving();
    this.#profiler?.stop();
    this.alerting?.close();
    await this.#sink?.close();
    this.#leaveExit();
  }

  #observe(finished: FinishedRequest): void {
    if (!this.#options.enabled || !this.#mine.has(finished.state.request)) return;
    try {
      const { state, route, path, status, bytes, timestamp } = finished;
      const userAgent = state.request.headers.get('user-agent') ?? '';
      const thrown = state.error !== undefined;
      this.#store.record(timestamp, state.method, route, status, state.duration, bytes, thrown, this.#classify(userAgent));
      const sampled = this.#options.sampleRate >= 1 || this.#options.random() < this.#options.sampleRate;
      const profile = this.#recorder.latestProfile ?? this.#latestProfile;
      if (sampled) {
        const metrics: PerformanceMetrics = {
          timestamp, method: state.method, path: shownPath(path), route, statusCode: status, responseTime: state.duration,
          memoryUsage: profile ? { rss: profile.rss, heapUsed: profile.heapUsed, heapTotal: profile.heapTotal } : this.#memory.read(timestamp),
        };
        if (profile) metrics.cpuUsage = profile.cpuPercent;
        // Copied when cut: the record would keep the whole header alive (a review: 304 MB for 10,000 records of 15 KB).
        if (userAgent) metrics.userAgent = ownCut(userAgent, 512);
        const traced = (state.request as EnhancedRequest).traceId ?? state.traceId;
        if (typeof traced === 'string') {
          metrics.traceId = traced;
          const span = (state.request as EnhancedRequest).spanId ?? state.spanId;
          if (typeof span === 'string') metrics.spanId = span;
        }
        if (state.error !== undefined) metrics.error = state.error;
        this.#ring.add(metrics);
        this.#sink?.add(metrics);
        this.#log.debug(`${metrics.method} ${metrics.path} ${status} ${metrics.responseTime.toFixed(2)} ms`);
      }
      // The recorder's path is its own copy when cut from a URL with a long query (keptPathOf): the window may keep it.
      this.alerting?.addMetrics({
        timestamp, method: state.method, path, route, statusCode: status, responseTime: state.duration,
        ...(profile ? { memoryUsage: profile.rss } : {}), ...(thrown ? { error: state.error } : {}),
      });
    } catch (error) {
      this.#log.warnOnce('monitor-observe', `performanceMonitor: recording a request failed (${errorClassOf(error)}); the app is unaffected`);
    }
  }

  #classify(userAgent: string): UserAgentClass {
    let found = this.#userAgents.get(userAgent);
    if (found === undefined) {
      found = classifyUserAgent(userAgent);
      // Only headers of a browser's length are kept as keys: 1,000 of 15 KB had held 16 MB (a review).
      if (userAgent.length > UA_CACHED_LENGTH) return found;
      if (this.#userAgents.size >= UA_CACHE_MAX) this.#userAgents.clear();
      this.#userAgents.set(userAgent, found);
    }
    return found;
  }

  #addProfile(profile: SystemProfile): void {
    this.#latestProfile = profile;
    this.#profiles.push(profile);
    if (this.#profiles.length > this.#options.profiling.maxProfiles) this.#profiles.shift();
  }
}

/** The factory's result: the `(req, next)` middleware that is also the monitor's API. */
export type PerformanceMonitorMiddleware = ((req: EnhancedRequest, next: NextFunction) => Promise<Response>) &
  Pick<PerformanceMonitor, (typeof API)[number] | 'handle' | 'alerting'> & { readonly monitor: PerformanceMonitor };

const API = ['getMetrics', 'getAggregatedMetrics', 'getProfiles', 'getRollupCells', 'getActiveAlerts', 'clearMetrics', 'flush', 'close'] as const;

/**
 * Creates a PerformanceMonitor (throws at once on bad options) and returns it as middleware, so
 * `router.use(monitor)` counts every request while `monitor.getMetrics()` and the rest work as on the class.
 *
 * @example
 * const monitor = performanceMonitor({ sampleRate: 0.1 });
 * router.use(monitor);
 * monitor.getAggregatedMetrics(60_000).count;
 */
export function performanceMonitor(options: PerformanceOptions = {}): PerformanceMonitorMiddleware {
  let monitor: PerformanceMonitor;
  try {
    monitor = new PerformanceMonitor(options);
  } catch (error) {
    throw callersMistake(error, performanceMonitor);
  }
  const middleware = async function performanceMonitor(req: EnhancedRequest, next: NextFunction): Promise<Response> {
    return monitor.handle(req, next);
  };
  const api: Record<string, unknown> = { handle: monitor.handle.bind(monitor), alerting: monitor.alerting, monitor };
  for (const name of API) api[name] = (monitor[name] as (...args: unknown[]) => unknown).bind(monitor);
  return Object.assign(middleware, api) as unknown as PerformanceMonitorMiddleware;
}
