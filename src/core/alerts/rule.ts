// Alert rules: the spec's fields, the Prometheus/Grafana-style extensions, and their defaults.

/** Request metrics come from rollup cells; gauges from system profiles; heartbeat from last-seen times. */
export const REQUEST_METRICS = ['responseTime', 'p50', 'p95', 'p99', 'errorRate', 'requestRate'] as const;
export const GAUGE_METRICS = ['memoryUsage', 'cpuUsage', 'eventLoopLag'] as const;
export const ALERT_METRICS = [...REQUEST_METRICS, ...GAUGE_METRICS, 'custom', 'heartbeat'] as const;
export const ALERT_CONDITIONS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const NO_DATA_POLICIES = ['ok', 'alerting', 'keep'] as const;

export type RequestMetric = (typeof REQUEST_METRICS)[number];
export type GaugeMetric = (typeof GAUGE_METRICS)[number];
/**
 * Units: responseTime/p50/p95/p99/eventLoopLag in ms; errorRate a fraction 0..1 (5xx and thrown
 * handlers over all requests); requestRate requests/s; memoryUsage RSS bytes; cpuUsage % of one
 * core; heartbeat ms since the app (or `instance`) last sent data.
 */
export type AlertMetric = (typeof ALERT_METRICS)[number];
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** What a window without data means: `ok` (condition false), `alerting` (condition true), `keep` (no change). */
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

/** A detail record as the spec's `PerformanceMetrics` names it: what a `customEvaluator` receives. */
export interface AlertSample {
  timestamp: number;
  method: string;
  path: string;
  /** Route template where known. */
  route?: string;
  statusCode: number;
  /** ms. */
  responseTime: number;
  userAgent?: string;
  memoryUsage?: { rss: number; heapUsed: number; heapTotal: number };
  cpuUsage?: number;
  traceId?: string;
  spanId?: string;
  responseSize?: number;
  error?: string;
}

/**
 * What a custom evaluator sees: the detail records of the rule's window (route/method filtered).
 * A boolean is the condition itself; a number is compared with `condition`/`threshold`;
 * null or undefined means no data. Throwing puts the rule in the `error` state.
 */
export type CustomEvaluator = (metrics: AlertSample[]) => boolean | number | null | undefined;

/**
 * An alert rule. Times are in ms.
 *
 * @example
 * const rule: AlertRule = {
 *   id: 'checkout-p95', name: 'Checkout p95', enabled: true, metric: 'p95', route: '/checkout',
 *   condition: 'gt', threshold: 800, duration: 300_000, for: 120_000, severity: 'critical',
 * };
 */
export interface AlertRule {
  /** 1..64 of `A-Z a-z 0-9 . _ : -`, starting with a letter or digit (it appears in URLs and alert ids). */
  id: string;
  name: string;
  /** Default true. */
  enabled?: boolean;
  metric: AlertMetric;
  condition: AlertCondition;
  threshold: number;
  /** Evaluation window (default 60 000). Rounded out to whole rollup minutes: see `windowStart`. */
  duration?: number;
  severity: AlertSeverity;
  /** Minimum time between two firing notifications of this rule (default 0). A suppressed one is sent when the cooldown ends if the alert still fires. */
  cooldown?: number;
  /** Required for and only for metric `custom`. */
  customEvaluator?: CustomEvaluator;
  /** Only requests of this route template (request metrics and custom). */
  route?: string;
  /** Only requests of this method (request metrics and custom). */
  method?: string;
  /** Only this instance (gauges and heartbeat); default: every instance, the worst one counts. */
  instance?: string;
  /** The condition must hold this long before the alert fires (pending until then; default 0). */
  for?: number;
  /** Once firing, keep firing this long after the condition last held (default 0). */
  keepFiringFor?: number;
  /** Re-notify a still-firing alert this often: 0 (the default) never, else at least 60 000 (1 min). */
  repeatInterval?: number;
  /** Send a notification when the alert resolves (default true). */
  notifyOnResolve?: boolean;
  /** Default `ok`, as in Prometheus: no data resolves. Heartbeat rules are the guard against silence. */
  noData?: NoDataPolicy;
  /** responseTime/p50/p95/p99/errorRate: fewer requests than this in the window count as no data (default 1). */
  minRequests?: number;
  /** Free text carried into notifications (what to check, a runbook link). */
  description?: string;
}

export const DEFAULT_WINDOW_MS = 60_000;
/** The shortest repeatInterval: a receiver is reminded at most once a minute. */
export const MIN_REPEAT_INTERVAL_MS = 60_000;

/** A rule with every default applied: what the engine reads. */
export interface ResolvedRule extends AlertRule {
  enabled: boolean;
  duration: number;
  cooldown: number;
  for: number;
  keepFiringFor: number;
  repeatInterval: number;
  notifyOnResolve: boolean;
  noData: NoDataPolicy;
  minRequests: number;
}

export function resolveRule(rule: AlertRule): ResolvedRule {
  return {
    ...rule,
    enabled: rule.enabled ?? true,
    duration: rule.duration ?? DEFAULT_WINDOW_MS,
    cooldown: rule.cooldown ?? 0,
    for: rule.for ?? 0,
    keepFiringFor: rule.keepFiringFor ?? 0,
    // A rule stored before the floor existed keeps its value but is evaluated with the floor.
    repeatInterval: rule.repeatInterval ? Math.max(rule.repeatInterval, MIN_REPEAT_INTERVAL_MS) : 0,
    notifyOnResolve: rule.notifyOnResolve ?? true,
    noData: rule.noData ?? 'ok',
    minRequests: rule.minRequests ?? 1,
  };
}

export function isRequestMetric(metric: AlertMetric): metric is RequestMetric {
  return (REQUEST_METRICS as readonly string[]).includes(metric);
}

export function isGaugeMetric(metric: AlertMetric): metric is GaugeMetric {
  return (GAUGE_METRICS as readonly string[]).includes(metric);
}

export function compare(condition: AlertCondition, value: number, threshold: number): boolean {
  switch (condition) {
    case 'gt': return value > threshold;
    case 'gte': return value >= threshold;
    case 'lt': return value < threshold;
    case 'lte': return value <= threshold;
    case 'eq': return value === threshold;
  }
}
