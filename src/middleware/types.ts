// The types the spec names and that the monitor, the tracer and the adapters share.
import type { Span, SystemProfile } from '../core/wire-format.ts';
import type { UserAgentKind } from '../core/user-agent.ts';
import type { AlertChannel } from '../core/alerts/channel.ts';

export type { SystemProfile } from '../core/wire-format.ts';
export type { LiveCell } from '../core/rollup.ts';

/** The spec's name for a span, as exporters and getActiveSpans/getRecentSpans give it. */
export type TraceSpan = Span;

/** A request as the middleware sees it: the tracer sets traceId and spanId; routers may add params. */
export type EnhancedRequest = Request & {
  traceId?: string;
  spanId?: string;
  params?: Record<string, string>;
};

/** Runs the rest of the chain (later middleware and the handler). */
export type NextFunction = () => Response | Promise<Response>;

/** The middleware contract of the spec: `handle(req, next)`. */
export type Middleware = (req: EnhancedRequest, next: NextFunction) => Promise<Response>;

/** A sampled request's detail record. */
export interface PerformanceMetrics {
  /** ms since the epoch at the start of the request. */
  timestamp: number;
  method: string;
  path: string;
  /** Route template (`/users/:id`) where known, else the normalised path. */
  route: string;
  statusCode: number;
  /** ms. */
  responseTime: number;
  /** Bytes, at the latest system profile (or read at most once a second without profiling). */
  memoryUsage: { rss: number; heapUsed: number; heapTotal: number };
  /** CPU % of one core at the latest system profile; absent without profiling. */
  cpuUsage?: number;
  userAgent?: string;
  traceId?: string;
  spanId?: string;
  /** Error class of a handler that threw. */
  error?: string;
}

/** What getAggregatedMetrics(windowMs) answers; counts are exact (every request), percentiles within 1 %. */
export interface AggregatedMetrics {
  /** The window asked for, ms. */
  timeWindow: number;
  /**
   * The window answered (ms since the epoch): from the start of the kept window that holds
   * `now − timeWindow` (1 s wide for the last 5 minutes, 10 s to 65 minutes, then a minute) to now.
   */
  from: number;
  to: number;
  /** Width of the kept window `from` starts (1000, 10 000 or 60 000 ms): how far `from` may lie before `now − timeWindow`. */
  resolutionMs: number;
  count: number;
  /** count / (to − from) in seconds: the time the counted data covers. */
  rps: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  /** errors / count (0 without requests). */
  errorRate: number;
  /** ms; 0 without requests. */
  responseTime: { avg: number; min: number; max: number; p50: number; p95: number; p99: number };
  /** Requests per status code ("200", "404", …). */
  statusCodes: Record<string, number>;
  methods: Record<string, number>;
  /** Requests per route template. */
  paths: Record<string, number>;
  userAgents: { kinds: Partial<Record<UserAgentKind, number>>; families: Record<string, number> };
}

export type MetricsStorageType = 'memory' | 'file' | 'custom';

export interface StorageOptions {
  type?: MetricsStorageType;
  /** memory: records kept (default 10 000). file: lines per file before it rotates to `<filePath>.1` (default 100 000; memory then keeps 10 000). */
  maxEntries?: number;
  /** file: where JSON lines are appended (default ./metrics.jsonl). */
  filePath?: string;
  /** custom: receives batches of records; its failures are logged, not thrown. */
  customHandler?: (metrics: PerformanceMetrics[]) => void | Promise<void>;
  /** custom: records per batch (default 100); a partial batch goes after `flushInterval` ms (default 1000). */
  batchSize?: number;
  flushInterval?: number;
}

export interface PerformanceOptions {
  /** Default true. When false the middleware just calls next(). */
  enabled?: boolean;
  /** Fraction of requests that keep a detail record (default 1). Every request is counted whatever this is. */
  sampleRate?: number;
  storage?: StorageOptions;
  /** System profiles (memory, CPU, event-loop lag, in flight) every `interval` ms (default enabled, 5000). */
  profiling?: { enabled?: boolean; interval?: number; maxProfiles?: number };
  /**
   * Thresholds become rules (`monitor-responseTime`, `monitor-errorRate`, `monitor-memoryUsage`: over the
   * threshold across 1 min, warning) of an in-process PerformanceAlerting (`monitor.alerting`), which
   * notifies `channels`, by default those of the environment (SLACK_WEBHOOK_URL, WEBHOOK_URL, …).
   */
  alerting?: { enabled?: boolean; thresholds?: { responseTime?: number; errorRate?: number; memoryUsage?: number }; channels?: AlertChannel[] };
  debug?: boolean;
  /** Cells kept for getAggregatedMetrics and the dashboard (1 s, then 10 s, then minutes): age (default 24 h) and count (default 50 000). */
  retention?: { maxAgeMs?: number; maxCells?: number };
  /** Where warnings go, one line each (default stderr). */
  log?: (line: string) => void;
  /** Injected randomness for the sampling decision (tests). */
  random?: () => number;
}
