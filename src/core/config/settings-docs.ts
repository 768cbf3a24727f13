// What each setting of the table (settings.ts) means: its line in the README's tables and, where the
// default is not a plain value, the default in words. Apart from the table only so the package does
// not ship it (scripts/build.ts leaves it out; scripts/settings-readme.ts makes the README from it);
// the types make a setting without its line a compile error.
import { ALERTING, type Section, type SETTINGS } from './settings.ts';

export interface SettingDoc {
  doc: string;
  defaultText?: string;
}

type Docs<T> = { [K in keyof T]: SettingDoc };

const seconds = (ms: number) => `${ms / 1000} s`;
const CHECKED = `within ${ALERTING.evaluationDelay.default} ms of each request and every ${seconds(ALERTING.evaluationInterval.default)}`;

const APP_DEFAULT = 'package.json `name`, else the directory\'s name';

export const SETTING_DOCS: { [S in Section]: Docs<(typeof SETTINGS)[S]> } = {
  preload: {
    endpoint: { doc: 'Edge base URL; batches go to `{endpoint}/v1/ingest` (a URL ending in `/v1/ingest` is taken for its base). Unset: measured, shipped nowhere (said once on stderr).' },
    ingestKey: { doc: 'Sent as `Authorization: Bearer …`.' },
    app: { doc: 'App id, as the edge\'s keys name it; a default from package.json drops its scope (`@acme/shop` → `shop`).', defaultText: APP_DEFAULT },
    service: { doc: 'Service name on spans and batches.', defaultText: 'the app name' },
    instance: { doc: 'Names this process\'s instance: `host:app:BUN_APM_INSTANCE`. Unset, it is `host:app:worker-<id>` in a node:cluster worker, `host:app:pm2-<n>` under pm2, `host:app:pid-<pid>` for a process serving with `Bun.serve({ reusePort: true })` (a new instance each restart: set this to each one\'s index to keep their lines), else `host:app`. A single process keeps its id across restarts (its line on the System charts); the pid travels as a detail.' },
    samplesPerSecond: { doc: 'Adaptive detail: at most this many requests per second per instance keep a detail record, on average (a token bucket: bursts of one second\'s worth, at least 2): all of them on a quiet app, a trickle under load. Every request is counted regardless.' },
    tracesPerSecond: { doc: 'Adaptive tracing: at most this many new traces per second per instance, on average (the same token bucket: bursts of one second\'s worth, at least 2, so the default may trace two requests that come together).' },
    parentTracesPerSecond: { doc: 'A caller\'s sampled `traceparent` is followed up to this many per second (the same token bucket); past that the trace is passed on unsampled and the refusal counted.' },
    routeFairness: { doc: 'Adaptive detail keeps half its bucket for routes with no detail record in the last second, so a hot route cannot starve a rare one (alone, a hot route still gets the whole rate).' },
    sampleRate: { doc: 'A fixed share of requests that keep a detail record instead; when set, it replaces `samplesPerSecond` (unless the environment sets `BUN_APM_SAMPLES_PER_SECOND` and not this).' },
    traceSampleRate: { doc: 'A fixed share of requests traced (head sampling) instead; when set, it replaces `tracesPerSecond` (unless the environment sets `BUN_APM_TRACES_PER_SECOND` and not this).' },
    flushIntervalMs: { doc: 'Batch interval while there is something to report; a batch is also sealed once its detail fills 256 KiB of JSON. An instance with only system profiles to report sends once a minute (a heartbeat).' },
    maxPendingBytes: { doc: 'Bound on data waiting for the edge. Past it detail goes first, oldest first; then request counts are merged, never dropped while merging helps; what must still go is counted, and the counts travel with the next batch that gets through.' },
    routeCap: { doc: 'Distinct route templates counted before new ones go to `other`; for paths named from URLs (no template known), as many again that come a second time, and besides those the first 100 named at their first request and 100 first seen answering 4xx, each a cap of its own so that a scanner\'s cannot crowd out your routes (at most twice this + 200 routes in all); a path not counted for an hour is forgotten.' },
    profilingEnabled: { doc: 'System profiles: RSS, heap, CPU %, event-loop lag, requests in flight.' },
    profilingInterval: { doc: 'How often a system profile is taken, ms.' },
    serverTiming: { doc: '`Server-Timing: total;dur=…` on responses: `traced` on those that also carry a `traceparent` (traced requests\' and callers\' with one), `all` on every response (a header write per request), `off`: no header added to any response, `traceparent` neither.' },
    exportMaxAttempts: { doc: 'Tries of one batch to the edge before it waits for the next cut.' },
    exportInitialBackoffMs: { doc: 'First wait between tries, ms; it doubles (with full jitter) up to `export.maxBackoffMs`.' },
    exportMaxBackoffMs: { doc: 'Longest wait between tries, ms.' },
    exportTimeoutMs: { doc: 'Time one try may take, ms.' },
    config: { doc: 'Path to a config file; otherwise `bun-apm.config.{ts,js,mjs}` in the working directory, then next to the entry script.' },
    disabled: { doc: 'Turns everything off.' },
    debug: { doc: 'Debug lines on stderr.' },
  },
  performanceMonitor: {
    enabled: { doc: 'When false the middleware just calls next().' },
    sampleRate: { doc: 'Share of requests that keep a detail record; every request is counted whatever this is.' },
    storageMaxEntries: { doc: 'memory: records kept (at most 1000000; more is refused). file: lines per file before it rotates to `<filePath>.1` (memory then keeps the default number).', defaultText: '10000 (memory), 100000 (file)' },
    storageFilePath: { doc: 'file: where JSON lines are appended: a regular file, or a path where one can be made (a device, pipe or directory is refused at start).' },
    storageBatchSize: { doc: 'custom: records per batch handed to `customHandler`.' },
    storageFlushInterval: { doc: 'custom: a partial batch goes after this many ms.' },
    profilingEnabled: { doc: 'System profiles (memory, CPU, event-loop lag, in flight).' },
    profilingInterval: { doc: 'How often a system profile is taken, ms.' },
    profilingMaxProfiles: { doc: 'System profiles kept.' },
    retentionMaxAgeMs: { doc: 'Age of the cells kept for getAggregatedMetrics and the dashboard, ms.' },
    retentionMaxCells: { doc: 'Cells kept for getAggregatedMetrics and the dashboard.' },
    alertingEnabled: { doc: 'When false, `alerting.thresholds` make no rules.' },
    // Each fires at the first check that finds the mean over the window above it (the monitor's rules
    // have no `for`): one slow request can be enough. The window is every clock minute overlapping the
    // last 60 s; the checks are the in-process alerting's defaults.
    responseTimeThreshold: { doc: `A warning as soon as the mean response time of the last minute's requests (this clock minute so far and the one before) is over this many ms; checked ${CHECKED}.` },
    errorRateThreshold: { doc: 'A warning as soon as the share of the last minute\'s requests that failed (5xx or thrown; 0–1) is over this; checked like `responseTime`.' },
    memoryUsageThreshold: { doc: `A warning as soon as the mean RSS, bytes, of the last minute's samples (one every ${seconds(ALERTING.evaluationInterval.default)}, and one per request while profiling is on) is over this; checked like \`responseTime\`.` },
    debug: { doc: 'Debug lines on stderr.' },
  },
  requestTracer: {
    enabled: { doc: 'When false the middleware just calls next().' },
    sampleRate: { doc: 'Share of new traces recorded; a caller\'s sampled `traceparent` is always followed.' },
    includeHeaders: { doc: 'Request and response headers as span tags (names that look secret, as authorization, cookie, x-api-key or x-auth-token, always `[REDACTED]`).' },
    includeQueryParams: { doc: 'Query parameters as `http.query.<name>` tags (names that look secret, as token, key, password or code, always `[REDACTED]`).' },
    includeRequestBody: { doc: 'Text request bodies (JSON, form, text/*, XML) up to `maxBodyBytes` as a tag, secret fields and parameters `[REDACTED]`.' },
    includeResponseBody: { doc: 'Text response bodies up to `maxBodyBytes` as a tag, secret fields and parameters `[REDACTED]`.' },
    maxBodyBytes: { doc: 'Body bytes read; the tag keeps at most 1,024 characters of them (a tag\'s limit at the edge).' },
    propagationEnabled: { doc: 'Read W3C `traceparent`/`tracestate`, then the legacy `propagation.headers`; write `traceparent` on responses and (under the preload) outbound fetches. False: the tracer reads and writes none. Under the preload, which reads and writes them itself, `BUN_APM_SERVER_TIMING=off` keeps them off responses.' },
    serviceName: { doc: '`service.name` in exported spans.', defaultText: APP_DEFAULT },
    spanTimeout: { doc: 'A span not finished after this many ms is closed and tagged `bun-apm.timed_out`.' },
    maxRecentSpans: { doc: 'Finished spans kept for getRecentSpans.' },
    maxActiveSpans: { doc: 'Open spans kept at most.' },
  },
  performanceAlerting: {
    enabled: { doc: 'When false nothing is recorded, evaluated or sent (rules and channels can still be managed).' },
    app: { doc: 'The app\'s name in notifications.', defaultText: APP_DEFAULT },
    dashboardUrl: { doc: 'Linked from every notification.' },
    evaluationInterval: { doc: 'Rules are also evaluated on this period, ms, so time alone can fire `for`, resolve `keepFiringFor` or a heartbeat.' },
    evaluationDelay: { doc: 'addMetrics evaluates at most this long after it was called, ms.' },
    maxNotifications: { doc: 'Notifications kept for getAllNotifications (the oldest go first).' },
    maxSamples: { doc: 'Detail records kept for custom evaluators (the oldest go first).' },
    routeCap: { doc: 'Distinct route templates counted before new ones go to `other`.' },
    sampleProcess: { doc: 'Measure this process\'s RSS, CPU and event-loop lag on each interval tick.' },
    deliveryAttempts: { doc: 'Attempts per notification and channel.' },
    deliveryBackoffMs: { doc: 'The longest wait before the second attempt, ms, doubled after each (each wait drawn at random below it, none past 30 s unless this is longer).' },
    deliveryTimeoutMs: { doc: 'Timeout of one HTTP attempt, ms (an SMTP attempt has 10 s per step and 30 s in all; a recipient the server refuses while it takes the others is logged, not sent again).' },
  },
  performanceDashboard: {
    enabled: { doc: 'When false the middleware just calls next().' },
    path: { doc: "Where the dashboard is mounted; not `/` (it answers every path under its own, so it would take all of the app's requests)." },
    title: { doc: 'The page\'s title.' },
    authEnabled: { doc: 'Sign-in, once `authentication` is given: it then needs `username`+`password` or `apiKey`; leave `authentication` out for an open page.' },
    refreshInterval: { doc: 'How often live panels refresh, ms.' },
    app: { doc: 'The app\'s name on the page.', defaultText: APP_DEFAULT },
  },
  worker: {
    maxBodyBytes: { doc: 'Cap on the body as sent (gzip), checked before reading.' },
    maxDecompressedBytes: { doc: 'Cap once inflated (gzip bombs stop here), and for plain JSON; at least `MAX_BODY_BYTES`. Named in every answer: the preload seals its batches within it.' },
    maxBatchAgeHours: { doc: 'Oldest data a batch may carry; batch ids are kept this long + 1 day.' },
    routeCap: { doc: 'Distinct route templates per app before `other`; once full, a route no batch has named for a day gives its place to a new one (what it counted stays).' },
    instanceCap: { doc: 'Distinct instances per app before `other`; with `SHARDS`, per shard (an instance stays in one).' },
    tenSecondRetentionHours: { doc: '10-second rollups: the 15 m and 1 h charts and the live tiles read them; no longer than `MINUTE_RETENTION_HOURS`.' },
    tenSecondRoutes: { doc: '`on`: 10-second rows per route too (route-filtered charts and tiles at 10 s), for more SQLite rows written.' },
    minuteRetentionHours: { doc: 'Minute rollups; no longer than `HOUR_RETENTION_DAYS`.' },
    hourRetentionDays: { doc: 'Hour rollups.' },
    detailRetentionDays: { doc: 'Samples, spans, profiles.' },
    maxSamples: { doc: 'Samples kept per app, oldest dropped first.' },
    maxSpans: { doc: 'Spans kept per app, oldest dropped first.' },
    maxProfiles: { doc: 'System profiles kept per app, oldest dropped first.' },
    apdexThresholdMs: { doc: 'Apdex T: satisfied ≤ T, tolerating ≤ 4T, errors frustrated.' },
    ingestRateLimit: { doc: 'Events/s per app before 503 + `Retry-After`; 0 = no limit.' },
    maintenanceIntervalSeconds: { doc: 'How often the alarm rolls up and applies retention.' },
    alertRules: { doc: 'JSON alert rules: `[rule, …]` for every app, or `{ "*": […], "shop": […] }`.', defaultText: 'empty' },
    alertChannelFilters: { doc: 'JSON filters per channel: `{ "slack": { "severities": ["critical"] } }`.', defaultText: 'empty' },
    dashboardUrl: { doc: "Linked from notifications; the Worker's address alone links its dashboard (`DASHBOARD_PATH`).", defaultText: 'empty' },
    pagerDutyUrl: { doc: 'The Events v2 endpoint (set it for the EU region).', defaultText: 'PagerDuty\'s US endpoint' },
    dashboardPath: { doc: 'Where the dashboard lives.' },
    shards: { doc: 'Stores per app: `4` for every app, or `{ "*": 1, "shop": 4 }`; raise only (see Scaling).', defaultText: '1' },
    dashboardRefreshMs: { doc: 'How often live mode refreshes, ms (default: the preload\'s flush interval).' },
    plan: { doc: 'Your Workers plan: usage is shown and warned of against its limits (empty: not known).', defaultText: '`free` (wrangler.toml)' },
  },
};
