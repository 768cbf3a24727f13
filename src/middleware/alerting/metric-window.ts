// What the in-process alerting keeps to evaluate rules on: every added request counted into
// per-minute rollup tables (the same cells the edge stores), gauge points, the detail records for
// custom evaluators, and when data last arrived. Bounded in time and in size.
import { ownCut } from '../../core/own-copy.ts';
import type { AlertData, AlertProfile, AlertSample } from '../../core/alerts/alert-data.ts';
import { minuteOf, RollupTable } from '../../core/rollup.ts';
import { visibleName } from '../../core/invisible-text.ts';
import { methodKey } from '../../core/request-key.ts';
import { normalisePath, RouteCardinalityGuard } from '../../core/route-normaliser.ts';
import { LIMITS } from '../../core/wire-format.ts';

/** The spec's `PerformanceMetrics` as addMetrics reads it: what a request produced. */
export interface PerformanceMetricsInput {
  /** ms since the epoch (or a Date); default now. */
  timestamp?: number | Date;
  method: string;
  /** Raw path; turned into a route template (`/users/:id`) unless `route` is given. */
  path: string;
  route?: string;
  statusCode: number;
  /** ms. */
  responseTime: number;
  userAgent?: string;
  /** Bytes of RSS, or the process.memoryUsage() object at the time. */
  memoryUsage?: number | { rss: number; heapUsed?: number; heapTotal?: number };
  /** CPU % at the time. */
  cpuUsage?: number;
  responseSize?: number;
  /** A thrown handler (counted as an error whatever the status). */
  error?: string;
  traceId?: string;
  spanId?: string;
}

/** At most `n` characters, copied when cut (ownCut). */
function cut<T>(text: T, n: number): T {
  return typeof text === 'string' ? (ownCut(text, n) as T) : text;
}

export interface MetricWindowOptions {
  instance: string;
  maxSamples: number;
  routeCap: number;
}

export class MetricWindow {
  private readonly minutes = new Map<number, RollupTable>();
  private samples: AlertSample[] = [];
  private profiles: AlertProfile[] = [];
  private readonly guard: RouteCardinalityGuard;
  private lastSeenAt: number;

  /** When counting began: alerting's start, or a record added with an older time. */
  private since: number;

  constructor(private readonly options: MetricWindowOptions, startedAt: number) {
    this.since = startedAt;
    this.guard = new RouteCardinalityGuard(options.routeCap);
    // Heartbeat rules measure silence from when alerting started, not from the epoch.
    this.lastSeenAt = startedAt;
  }

  /** Throws TypeError on a record without a status code or response time (the caller warns once and skips it). */
  add(m: PerformanceMetricsInput, now: number): void {
    if (!Number.isInteger(m.statusCode) || typeof m.responseTime !== 'number' || !Number.isFinite(m.responseTime) || typeof m.path !== 'string') {
      throw new TypeError('expected statusCode (integer), responseTime (ms) and path');
    }
    const time = m.timestamp instanceof Date ? m.timestamp.getTime() : typeof m.timestamp === 'number' && Number.isFinite(m.timestamp) ? m.timestamp : now;
    const path = cut(m.path, LIMITS.pathLength);
    // As the edge stores a route (U+FFFD for a control, bidirectional or zero-width character): a rule names it so.
    const route = this.guard.admit(visibleName(typeof m.route === 'string' && m.route ? cut(m.route, LIMITS.routeLength) : normalisePath(path)));
    const minute = minuteOf(time);
    if (time < this.since) this.since = time;
    let table = this.minutes.get(minute);
    if (table === undefined) this.minutes.set(minute, (table = new RollupTable()));
    const duration = Math.max(0, m.responseTime);
    // Any other token a client sent is OTHER, as the preload counts it: a method cannot multiply the cells.
    table.record(time, methodKey(String(m.method).toUpperCase()), route, m.statusCode, duration, m.responseSize ?? 0, m.error !== undefined);

    const { memoryUsage, timestamp: _given, ...rest } = m;
    const sample: AlertSample = { ...rest, path, timestamp: time, route };
    if (rest.userAgent !== undefined) sample.userAgent = cut(rest.userAgent, LIMITS.userAgentLength);
    if (rest.error !== undefined) sample.error = cut(rest.error, LIMITS.errorLength);
    if (typeof memoryUsage === 'object' && memoryUsage !== null) {
      sample.memoryUsage = { rss: memoryUsage.rss, heapUsed: memoryUsage.heapUsed ?? 0, heapTotal: memoryUsage.heapTotal ?? 0 };
    }
    this.samples.push(sample);
    if (this.samples.length > this.options.maxSamples) this.samples = this.samples.slice(-Math.floor(this.options.maxSamples * 0.9));

    const rss = typeof m.memoryUsage === 'number' ? m.memoryUsage : m.memoryUsage?.rss;
    if (rss !== undefined || m.cpuUsage !== undefined) this.addProfile({ timestamp: time, rss, cpuPercent: m.cpuUsage });
    this.lastSeenAt = Math.max(this.lastSeenAt, time);
  }

  /** Keeps at most one gauge point per second (the latest), so a busy app doesn't grow this list per request. */
  addProfile(profile: Omit<AlertProfile, 'instance'>): void {
    if (!Number.isFinite(profile.timestamp)) return;
    const point: AlertProfile = { timestamp: profile.timestamp, instance: this.options.instance };
    for (const key of ['rss', 'cpuPercent', 'eventLoopLagMs'] as const) if (Number.isFinite(profile[key])) point[key] = profile[key]!;
    const last = this.profiles.at(-1);
    if (last !== undefined && Math.floor(last.timestamp / 1000) === Math.floor(point.timestamp / 1000)) Object.assign(last, point);
    else this.profiles.push(point);
    if (this.profiles.length > this.options.maxSamples) this.profiles = this.profiles.slice(-Math.floor(this.options.maxSamples * 0.9));
  }

  /** Forgets what no rule reads any more: everything before `since`. */
  prune(since: number): void {
    for (const minute of this.minutes.keys()) if (minute < minuteOf(since)) this.minutes.delete(minute);
    this.samples = this.samples.filter((s) => s.timestamp >= since);
    this.profiles = this.profiles.filter((p) => p.timestamp >= since);
  }

  /** The data as the engine reads it (cells are live objects; the engine only reads them). */
  data(): AlertData {
    const cells = [];
    for (const table of this.minutes.values()) cells.push(...table.cellsNow());
    return { cells, profiles: this.profiles, samples: this.samples, lastSeen: { [this.options.instance]: this.lastSeenAt }, since: this.since };
  }
}
