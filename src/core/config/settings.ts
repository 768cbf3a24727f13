// Every setting of bun-apm in one table: the preload's (environment and bun-apm.config.ts), the
// explicit API's options and the Worker's vars, each with its name, variable, default, accepted
// values and documentation. The readers (the preload's env reader and config loader, the middleware's
// option checks, the Worker's settings) and the README's tables derive from it; nothing else states
// a default or a range.
import { choice, countIn, flag, httpUrl, integerIn, mountPath, name, numberIn, onOff, secretLine, text } from './kinds.ts';
import { setting } from './setting.ts';
import { PLANS } from '../usage/plan.ts';

const HOUR_MS = 3_600_000;
const MIB = 1024 * 1024;

/** Shared by the preload and the explicit API, so the two halves of one process agree. */
const appName = setting('app', name(), undefined, 'App id.', { defaultText: 'package.json `name`, else the directory\'s name' });
const routeCap = setting('routeCap', integerIn(1, 100_000), 500, 'Distinct route templates counted before new ones go to `other`.');
const perSecond = numberIn(0, 1_000_000);
const fraction = numberIn(0, 1);

/** The zero-code preload: `BUN_APM_*` variables and the keys of bun-apm.config.ts (the environment wins). */
export const PRELOAD = {
  endpoint: setting('endpoint', httpUrl((url) => new URL(url).href.replace(/\/+$/, '')), undefined, 'Edge base URL; batches go to `{endpoint}/v1/ingest`. Unset: measured, shipped nowhere (said once on stderr).', { env: 'BUN_APM_ENDPOINT' }),
  ingestKey: setting('ingestKey', secretLine, undefined, 'Sent as `Authorization: Bearer …`.', { env: 'BUN_APM_INGEST_KEY' }),
  app: { ...appName, env: 'BUN_APM_APP' },
  service: setting('service', name(), undefined, 'Service name on spans and batches.', { env: 'BUN_APM_SERVICE', defaultText: 'the app name' }),
  instance: setting('instance', text(65_536, 'any text (control characters dropped, the first 64 characters kept)'), undefined,
    'Tells processes of one app on one host apart (e.g. a worker\'s index): the instance id is `host:app:BUN_APM_INSTANCE` (without it, `host:app`).',
    { env: 'BUN_APM_INSTANCE', inFile: false }),
  samplesPerSecond: setting('samplesPerSecond', perSecond, 10,
    'Adaptive detail: at most this many requests per second per instance keep a detail record; every request is counted regardless.',
    { env: 'BUN_APM_SAMPLES_PER_SECOND' }),
  tracesPerSecond: setting('tracesPerSecond', perSecond, 1, 'Adaptive tracing: at most this many new traces per second per instance.', { env: 'BUN_APM_TRACES_PER_SECOND' }),
  parentTracesPerSecond: setting('parentTracesPerSecond', perSecond, 10,
    'A caller\'s sampled `traceparent` is followed up to this many per second; past that the trace is passed on unsampled and the refusal counted.',
    { env: 'BUN_APM_PARENT_TRACES_PER_SECOND' }),
  routeFairness: setting('routeFairness', flag, true,
    'Adaptive detail keeps half its bucket for routes with no detail record in the last second, so a hot route cannot starve a rare one.',
    { env: 'BUN_APM_ROUTE_FAIRNESS' }),
  sampleRate: setting('sampleRate', fraction, undefined, 'A fixed share of requests that keep a detail record instead; when set, it replaces `samplesPerSecond`.', { env: 'BUN_APM_SAMPLE_RATE' }),
  traceSampleRate: setting('traceSampleRate', fraction, undefined, 'A fixed share of requests traced (head sampling) instead; when set, it replaces `tracesPerSecond`.', { env: 'BUN_APM_TRACE_SAMPLE_RATE' }),
  flushIntervalMs: setting('flushIntervalMs', integerIn(100, HOUR_MS), 10_000,
    'Batch interval while there is something to report (requests, detail, losses); a batch is also cut at 250 detail records or 2000 spans.',
    { env: 'BUN_APM_FLUSH_INTERVAL_MS' }),
  maxPendingBytes: setting('maxPendingBytes', integerIn(1024, 2 ** 31), 16 * MIB,
    'Bound on data waiting for the edge; past it detail goes first, then request counts are merged (below).',
    { env: 'BUN_APM_MAX_PENDING_BYTES' }),
  routeCap,
  profilingEnabled: setting('profiling.enabled', flag, true, 'System profiles: RSS, heap, CPU %, event-loop lag, requests in flight.'),
  profilingInterval: setting('profiling.interval', integerIn(100, HOUR_MS), 5_000, 'How often a system profile is taken, ms.'),
  serverTiming: setting('serverTiming', choice(['traced', 'all', 'off']), 'traced',
    '`Server-Timing: total;dur=…` on responses: `traced` on those that also carry a `traceparent`, `all` on every response (a header write per request), `off` never.'),
  exportMaxAttempts: setting('export.maxAttempts', integerIn(1, 20), 5, 'Tries of one batch to the edge before it waits for the next cut.'),
  exportInitialBackoffMs: setting('export.initialBackoffMs', numberIn(0, 600_000), 1_000, 'First wait between tries, ms; it doubles (with full jitter) up to `export.maxBackoffMs`.'),
  exportMaxBackoffMs: setting('export.maxBackoffMs', numberIn(0, 600_000), 30_000, 'Longest wait between tries, ms.'),
  exportTimeoutMs: setting('export.timeoutMs', numberIn(1, 600_000), 10_000, 'Time one try may take, ms.'),
  config: setting('config', text(4096, 'a path to an existing file'), undefined,
    'Path to a config file; otherwise `bun-apm.config.{ts,js,mjs}` in the working directory, then next to the entry script.',
    { env: 'BUN_APM_CONFIG', inFile: false }),
  disabled: setting('disabled', flag, false, 'Turns everything off.', { env: 'BUN_APM_DISABLED' }),
  debug: setting('debug', flag, false, 'Debug lines on stderr.', { env: 'BUN_APM_DEBUG' }),
};

/** `performanceMonitor(options)` / `new PerformanceMonitor(options)`. */
export const MONITOR = {
  enabled: setting('enabled', flag, true, 'When false the middleware just calls next().'),
  sampleRate: setting('sampleRate', fraction, 1, 'Share of requests that keep a detail record; every request is counted whatever this is.'),
  storageMaxEntries: setting('storage.maxEntries', integerIn(1), 10_000,
    'memory: records kept (at most 1000000). file: lines per file before it rotates to `<filePath>.1` (memory then keeps the default number).',
    { defaultText: '10000 (memory), 100000 (file)' }),
  storageFilePath: setting('storage.filePath', text(4096, 'a path of 1 to 4096 characters', 1), './metrics.jsonl', 'file: where JSON lines are appended.'),
  storageBatchSize: setting('storage.batchSize', integerIn(1), 100, 'custom: records per batch handed to `customHandler`.'),
  storageFlushInterval: setting('storage.flushInterval', integerIn(1), 1000, 'custom: a partial batch goes after this many ms.'),
  profilingEnabled: setting('profiling.enabled', flag, true, 'System profiles (memory, CPU, event-loop lag, in flight).'),
  profilingInterval: setting('profiling.interval', integerIn(100), 5_000, 'How often a system profile is taken, ms.'),
  profilingMaxProfiles: setting('profiling.maxProfiles', integerIn(1), 1440, 'System profiles kept.'),
  retentionMaxAgeMs: setting('retention.maxAgeMs', integerIn(60_000), 24 * HOUR_MS, 'Age of the cells kept for getAggregatedMetrics and the dashboard, ms.'),
  retentionMaxCells: setting('retention.maxCells', integerIn(1), 50_000, 'Cells kept for getAggregatedMetrics and the dashboard.'),
  alertingEnabled: setting('alerting.enabled', flag, true, 'When false, `alerting.thresholds` make no rules.'),
  responseTimeThreshold: setting('alerting.thresholds.responseTime', numberIn(0), undefined, 'A warning when the response time stays over this many ms for a minute.'),
  errorRateThreshold: setting('alerting.thresholds.errorRate', numberIn(0), undefined, 'A warning when the error rate stays over this for a minute.'),
  memoryUsageThreshold: setting('alerting.thresholds.memoryUsage', numberIn(0), undefined, 'A warning when memory use stays over this for a minute.'),
  debug: setting('debug', flag, false, 'Debug lines on stderr.'),
};

/** `requestTracer(options)` / `new RequestTracer(options)`. */
export const TRACER = {
  enabled: setting('enabled', flag, true, 'When false the middleware just calls next().'),
  sampleRate: setting('sampleRate', fraction, 1, 'Share of new traces recorded; a caller\'s sampled `traceparent` is always followed.'),
  includeHeaders: setting('includeHeaders', flag, false, 'Request and response headers as span tags (authorization, cookie, set-cookie and x-api-key always `[REDACTED]`).'),
  includeQueryParams: setting('includeQueryParams', flag, true, 'Query parameters as `http.query.<name>` tags.'),
  includeRequestBody: setting('includeRequestBody', flag, false, 'Text request bodies (JSON, form, text/*, XML) up to `maxBodyBytes` as a tag.'),
  includeResponseBody: setting('includeResponseBody', flag, false, 'Text response bodies up to `maxBodyBytes` as a tag.'),
  maxBodyBytes: setting('maxBodyBytes', integerIn(0), 8192, 'Body bytes kept.'),
  propagationEnabled: setting('propagation.enabled', flag, true, 'Read and write W3C `traceparent`/`tracestate`, then the legacy `propagation.headers`.'),
  serviceName: setting('serviceName', name(), undefined, '`service.name` in exported spans.', { defaultText: appName.defaultText }),
  spanTimeout: setting('spanTimeout', integerIn(1), 300_000, 'A span not finished after this many ms is closed and tagged `bun-apm.timed_out`.'),
  maxRecentSpans: setting('maxRecentSpans', integerIn(1), 1000, 'Finished spans kept for getRecentSpans.'),
  maxActiveSpans: setting('maxActiveSpans', integerIn(1), 10_000, 'Open spans kept at most.'),
};

/** `performanceAlerting(options)` / `new PerformanceAlerting(options)`. */
export const ALERTING = {
  enabled: setting('enabled', flag, true, 'When false nothing is recorded, evaluated or sent (rules and channels can still be managed).'),
  app: { ...appName, doc: 'The app\'s name in notifications.' },
  dashboardUrl: setting('dashboardUrl', httpUrl(), undefined, 'Linked from every notification.'),
  evaluationInterval: setting('evaluationInterval', integerIn(100, 86_400_000), 15_000, 'Rules are also evaluated on this period, ms, so time alone can fire `for`, resolve `keepFiringFor` or a heartbeat.'),
  evaluationDelay: setting('evaluationDelay', integerIn(0, 1000), 250, 'addMetrics evaluates at most this long after it was called, ms.'),
  maxNotifications: setting('maxNotifications', integerIn(1, 1_000_000), 1000, 'Notifications kept for getAllNotifications (the oldest go first).'),
  maxSamples: setting('maxSamples', integerIn(100, 10_000_000), 10_000, 'Detail records kept for custom evaluators (the oldest go first).'),
  routeCap,
  sampleProcess: setting('sampleProcess', flag, true, 'Measure this process\'s RSS, CPU and event-loop lag on each interval tick.'),
};

/** `performanceDashboard(options)` / `new PerformanceDashboard(options)`. */
export const DASHBOARD = {
  path: setting('path', mountPath, '/performance', 'Where the dashboard is mounted.'),
  refreshInterval: setting('refreshInterval', numberIn(500), 5000, 'How often live panels refresh, ms.'),
  app: { ...appName, doc: 'The app\'s name on the page.' },
};

/** The Worker's `[vars]` (wrangler.toml). Sizes in bytes, times as named. */
export const WORKER = {
  maxBodyBytes: setting('maxBodyBytes', numberIn(1024, 100 * MIB), 5 * MIB, 'Cap on the body as sent (gzip), checked before reading.', { env: 'MAX_BODY_BYTES' }),
  maxDecompressedBytes: setting('maxDecompressedBytes', numberIn(1024, 30 * MIB), 20 * MIB, 'Cap once inflated (gzip bombs stop here), and for plain JSON; at least `MAX_BODY_BYTES`.', { env: 'MAX_DECOMPRESSED_BYTES' }),
  maxBatchAgeHours: setting('maxBatchAgeHours', numberIn(1, 24 * 30), 168, 'Oldest data a batch may carry; batch ids are kept this long + 1 day.', { env: 'MAX_BATCH_AGE_HOURS' }),
  routeCap: setting('routeCap', countIn(1, 100_000), 1000, 'Distinct route templates per app before `other`.', { env: 'ROUTE_CAP' }),
  instanceCap: setting('instanceCap', countIn(1, 100_000), 500, 'Distinct instances per app before `other`.', { env: 'INSTANCE_CAP' }),
  // At least two hours, so the 1 h view is always answered in 10-second cells.
  tenSecondRetentionHours: setting('tenSecondRetentionHours', numberIn(2, 48), 3,
    '10-second rollups: the 15 m and 1 h charts and the live tiles read them; no longer than `MINUTE_RETENTION_HOURS`.', { env: 'TEN_SECOND_RETENTION_HOURS' }),
  tenSecondRoutes: setting('tenSecondRoutes', onOff, false, '`on`: 10-second rows per route too (route-filtered charts and tiles at 10 s), for more SQLite rows written.', { env: 'TEN_SECOND_ROUTES' }),
  minuteRetentionHours: setting('minuteRetentionHours', numberIn(1, 24 * 30), 48, 'Minute rollups; no longer than `HOUR_RETENTION_DAYS`.', { env: 'MINUTE_RETENTION_HOURS' }),
  hourRetentionDays: setting('hourRetentionDays', numberIn(1, 3650), 90, 'Hour rollups.', { env: 'HOUR_RETENTION_DAYS' }),
  detailRetentionDays: setting('detailRetentionDays', numberIn(0.01, 3650), 7, 'Samples, spans, profiles.', { env: 'DETAIL_RETENTION_DAYS' }),
  maxSamples: setting('maxSamples', countIn(0, 100_000_000), 200_000, 'Samples kept per app, oldest dropped first.', { env: 'MAX_SAMPLES' }),
  maxSpans: setting('maxSpans', countIn(0, 100_000_000), 500_000, 'Spans kept per app, oldest dropped first.', { env: 'MAX_SPANS' }),
  maxProfiles: setting('maxProfiles', countIn(0, 100_000_000), 200_000, 'System profiles kept per app, oldest dropped first.', { env: 'MAX_PROFILES' }),
  apdexThresholdMs: setting('apdexThresholdMs', numberIn(1, 600_000), 500, 'Apdex T: satisfied ≤ T, tolerating ≤ 4T, errors frustrated.', { env: 'APDEX_THRESHOLD_MS' }),
  ingestRateLimit: setting('ingestRateLimit', numberIn(0, 1e9), 0, 'Events/s per app before 503 + `Retry-After`; 0 = no limit.', { env: 'INGEST_RATE_LIMIT' }),
  maintenanceIntervalSeconds: setting('maintenanceIntervalSeconds', numberIn(1, 86_400), 300, 'How often the alarm rolls up and applies retention.', { env: 'MAINTENANCE_INTERVAL_SECONDS' }),
  alertRules: setting('alertRules', text(1_000_000, 'JSON alert rules'), undefined, 'JSON alert rules: `[rule, …]` for every app, or `{ "*": […], "shop": […] }`.', { env: 'ALERT_RULES', defaultText: 'empty' }),
  alertChannelFilters: setting('alertChannelFilters', text(100_000, 'JSON channel filters'), undefined, 'JSON filters per channel: `{ "slack": { "severities": ["critical"] } }`.', { env: 'ALERT_CHANNEL_FILTERS', defaultText: 'empty' }),
  dashboardUrl: setting('dashboardUrl', text(2048, 'a URL'), undefined, 'Linked from notifications.', { env: 'DASHBOARD_URL', defaultText: 'empty' }),
  pagerDutyUrl: setting('pagerDutyUrl', text(2048, 'a URL'), undefined, 'The Events v2 endpoint (set it for the EU region).', { env: 'PAGERDUTY_URL', defaultText: 'PagerDuty\'s US endpoint' }),
  dashboardPath: setting('dashboardPath', mountPath, '/performance', 'Where the dashboard lives.', { env: 'DASHBOARD_PATH' }),
  // The preload's default flush interval, so each refresh can bring new data.
  dashboardRefreshMs: setting('dashboardRefreshMs', integerIn(500, 86_400_000), 10_000, 'How often live mode refreshes, ms (default: the preload\'s flush interval).', { env: 'DASHBOARD_REFRESH_MS' }),
  plan: setting('plan', choice(PLANS), undefined, 'Your Workers plan: usage is shown and warned of against its limits (empty: not known).', { env: 'PLAN', defaultText: '`free` (wrangler.toml)' }),
};

/** The whole table, by where a setting is given: what the README's tables are made of. */
export const SETTINGS = { preload: PRELOAD, performanceMonitor: MONITOR, requestTracer: TRACER, performanceAlerting: ALERTING, performanceDashboard: DASHBOARD, worker: WORKER };
export type Section = keyof typeof SETTINGS;
