// Every setting of bun-apm in one table: the preload's (environment and bun-apm.config.ts), the
// explicit API's options and the Worker's vars, each with its name, variable, default and accepted
// values (what each means is in settings-docs.ts, which the package does not ship). The readers (the
// preload's env reader and config loader, the middleware's option checks, the Worker's settings)
// and the README's tables derive from it; nothing else states a default or a range. Every timer's
// delay has an upper bound: setTimeout runs a delay past 2^31 - 1 ms after 1 ms.
import { choice, countIn, flag, httpUrl, integerIn, mountPath, name, numberIn, onOff, secretLine, text } from './kinds.ts';
import { setting } from './setting.ts';
import { appName, fraction, HOUR_MS, MIB, PRELOAD, routeCap } from './preload-settings.ts';
import { PLANS } from '../usage/plan.ts';

export { PRELOAD } from './preload-settings.ts';

/** `performanceMonitor(options)` / `new PerformanceMonitor(options)`. */
export const MONITOR = {
  enabled: setting('enabled', flag, true),
  sampleRate: setting('sampleRate', fraction, 1),
  storageMaxEntries: setting('storage.maxEntries', integerIn(1), 10_000),
  storageFilePath: setting('storage.filePath', text(4096, 'a path of 1 to 4096 characters', 1), './metrics.jsonl'),
  storageBatchSize: setting('storage.batchSize', integerIn(1), 100),
  storageFlushInterval: setting('storage.flushInterval', integerIn(1, HOUR_MS), 1000),
  profilingEnabled: setting('profiling.enabled', flag, true),
  profilingInterval: setting('profiling.interval', integerIn(100, HOUR_MS), 5_000),
  profilingMaxProfiles: setting('profiling.maxProfiles', integerIn(1), 1440),
  retentionMaxAgeMs: setting('retention.maxAgeMs', integerIn(60_000), 24 * HOUR_MS),
  retentionMaxCells: setting('retention.maxCells', integerIn(1), 50_000),
  alertingEnabled: setting('alerting.enabled', flag, true),
  responseTimeThreshold: setting('alerting.thresholds.responseTime', numberIn(0), undefined),
  errorRateThreshold: setting('alerting.thresholds.errorRate', fraction, undefined),
  memoryUsageThreshold: setting('alerting.thresholds.memoryUsage', numberIn(0), undefined),
  debug: setting('debug', flag, false),
};

/** `requestTracer(options)` / `new RequestTracer(options)`. */
export const TRACER = {
  enabled: setting('enabled', flag, true),
  sampleRate: setting('sampleRate', fraction, 1),
  includeHeaders: setting('includeHeaders', flag, false),
  includeQueryParams: setting('includeQueryParams', flag, true),
  includeRequestBody: setting('includeRequestBody', flag, false),
  includeResponseBody: setting('includeResponseBody', flag, false),
  maxBodyBytes: setting('maxBodyBytes', integerIn(0), 8192),
  propagationEnabled: setting('propagation.enabled', flag, true),
  serviceName: setting('serviceName', name(), undefined),
  spanTimeout: setting('spanTimeout', integerIn(1, 24 * HOUR_MS), 300_000),
  maxRecentSpans: setting('maxRecentSpans', integerIn(1), 1000),
  maxActiveSpans: setting('maxActiveSpans', integerIn(1), 10_000),
};

/** `performanceAlerting(options)` / `new PerformanceAlerting(options)`. */
export const ALERTING = {
  enabled: setting('enabled', flag, true),
  app: appName,
  dashboardUrl: setting('dashboardUrl', httpUrl(), undefined),
  evaluationInterval: setting('evaluationInterval', integerIn(100, 86_400_000), 15_000),
  evaluationDelay: setting('evaluationDelay', integerIn(0, 1000), 250),
  maxNotifications: setting('maxNotifications', integerIn(1, 1_000_000), 1000),
  maxSamples: setting('maxSamples', integerIn(100, 10_000_000), 10_000),
  routeCap,
  sampleProcess: setting('sampleProcess', flag, true),
  deliveryAttempts: setting('delivery.attempts', integerIn(1, 20), 3),
  deliveryBackoffMs: setting('delivery.backoffMs', integerIn(0, 600_000), 1000),
  deliveryTimeoutMs: setting('delivery.timeoutMs', integerIn(100, 600_000), 5000),
};

/** `performanceDashboard(options)` / `new PerformanceDashboard(options)`. */
export const DASHBOARD = {
  enabled: setting('enabled', flag, true),
  path: setting('path', mountPath, '/performance'),
  title: setting('title', text(200, 'a title of at most 200 characters'), 'Performance'),
  authEnabled: setting('authentication.enabled', flag, true),
  refreshInterval: setting('refreshInterval', numberIn(500, 24 * HOUR_MS), 5000),
  app: appName,
};

/** The Worker's `[vars]` (wrangler.toml). Sizes in bytes, times as named. */
export const WORKER = {
  maxBodyBytes: setting('maxBodyBytes', numberIn(1024, 30 * MIB), 5 * MIB, { env: 'MAX_BODY_BYTES' }),
  maxDecompressedBytes: setting('maxDecompressedBytes', numberIn(1024, 30 * MIB), 8 * MIB, { env: 'MAX_DECOMPRESSED_BYTES' }),
  maxBatchAgeHours: setting('maxBatchAgeHours', numberIn(1, 24 * 30), 168, { env: 'MAX_BATCH_AGE_HOURS' }),
  routeCap: setting('routeCap', countIn(1, 100_000), 1000, { env: 'ROUTE_CAP' }),
  instanceCap: setting('instanceCap', countIn(1, 100_000), 500, { env: 'INSTANCE_CAP' }),
  // At least two hours, so the 1 h view is always answered in 10-second cells.
  tenSecondRetentionHours: setting('tenSecondRetentionHours', numberIn(2, 48), 3, { env: 'TEN_SECOND_RETENTION_HOURS' }),
  tenSecondRoutes: setting('tenSecondRoutes', onOff, false, { env: 'TEN_SECOND_ROUTES' }),
  minuteRetentionHours: setting('minuteRetentionHours', numberIn(1, 24 * 30), 48, { env: 'MINUTE_RETENTION_HOURS' }),
  hourRetentionDays: setting('hourRetentionDays', numberIn(1, 3650), 90, { env: 'HOUR_RETENTION_DAYS' }),
  detailRetentionDays: setting('detailRetentionDays', numberIn(0.01, 3650), 7, { env: 'DETAIL_RETENTION_DAYS' }),
  maxSamples: setting('maxSamples', countIn(0, 100_000_000), 200_000, { env: 'MAX_SAMPLES' }),
  maxSpans: setting('maxSpans', countIn(0, 100_000_000), 500_000, { env: 'MAX_SPANS' }),
  maxProfiles: setting('maxProfiles', countIn(0, 100_000_000), 200_000, { env: 'MAX_PROFILES' }),
  apdexThresholdMs: setting('apdexThresholdMs', numberIn(1, 600_000), 500, { env: 'APDEX_THRESHOLD_MS' }),
  ingestRateLimit: setting('ingestRateLimit', numberIn(0, 1e9), 0, { env: 'INGEST_RATE_LIMIT' }),
  maintenanceIntervalSeconds: setting('maintenanceIntervalSeconds', numberIn(1, 86_400), 300, { env: 'MAINTENANCE_INTERVAL_SECONDS' }),
  alertRules: setting('alertRules', text(1_000_000, 'JSON alert rules'), undefined, { env: 'ALERT_RULES' }),
  alertChannelFilters: setting('alertChannelFilters', text(100_000, 'JSON channel filters'), undefined, { env: 'ALERT_CHANNEL_FILTERS' }),
  dashboardUrl: setting('dashboardUrl', text(2048, 'a URL'), undefined, { env: 'DASHBOARD_URL' }),
  pagerDutyUrl: setting('pagerDutyUrl', text(2048, 'a URL'), undefined, { env: 'PAGERDUTY_URL' }),
  dashboardPath: setting('dashboardPath', mountPath, '/performance', { env: 'DASHBOARD_PATH' }),
  // The preload's default flush interval, so each refresh can bring new data.
  dashboardRefreshMs: setting('dashboardRefreshMs', integerIn(500, 86_400_000), 10_000, { env: 'DASHBOARD_REFRESH_MS' }),
  plan: setting('plan', choice(PLANS), undefined, { env: 'PLAN' }),
  shards: setting('shards', text(10_000, 'a count 1..64 or JSON of app → count'), undefined, { env: 'SHARDS' }),
};

/** The whole table, by where a setting is given: what the README's tables are made of. */
export const SETTINGS = { preload: PRELOAD, performanceMonitor: MONITOR, requestTracer: TRACER, performanceAlerting: ALERTING, performanceDashboard: DASHBOARD, worker: WORKER };
export type Section = keyof typeof SETTINGS;
