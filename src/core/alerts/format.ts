// Human-readable values, thresholds and windows for notification texts (no locale: the edge and
// Bun must print the same bytes).
import type { AlertCondition, AlertMetric, AlertRule } from './rule.ts';

export const CONDITION_SYMBOL: Record<AlertCondition, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=' };

const METRIC_LABEL: Record<AlertMetric, string> = {
  responseTime: 'average response time',
  p50: 'p50 response time',
  p95: 'p95 response time',
  p99: 'p99 response time',
  errorRate: 'error rate',
  requestRate: 'request rate',
  memoryUsage: 'memory (RSS)',
  cpuUsage: 'CPU',
  eventLoopLag: 'event-loop lag',
  custom: 'custom evaluator',
  heartbeat: 'time since data was last received',
};

/**
 * Up to 3 significant digits (and `extra` decimals more), no exponent, no trailing zeros: 2345 →
 * "2345", 12.345 → "12.3", 0.01234 → "0.0123"; 500.4 with one extra → "500.4".
 */
export function formatNumber(value: number, extra = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (Number.isInteger(value)) return String(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(10, 2 - Math.floor(Math.log10(abs)));
  return String(Number(value.toFixed(Math.min(digits + extra, 20))));
}

/** 90 000 → "1 min 30 s", 3 600 000 → "1 h", 500 → "500 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  const parts: string[] = [];
  let seconds = Math.round(ms / 1000);
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]];
  for (const [unit, size] of units) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)} ${unit}`);
      seconds %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

export function formatBytes(bytes: number, extra = 0): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value, extra)} ${units[unit]}`;
}

/** A metric value in its unit, with `extra` decimals; null reads "no data". */
export function formatValue(metric: AlertMetric, value: number | null, extra = 0): string {
  if (value === null) return 'no data';
  switch (metric) {
    case 'responseTime':
    case 'p50':
    case 'p95':
    case 'p99':
    case 'eventLoopLag':
      return `${formatNumber(value, extra)} ms`;
    case 'errorRate':
      return `${formatNumber(value * 100, extra)} %`;
    case 'requestRate':
      return `${formatNumber(value, extra)} req/s`;
    case 'memoryUsage':
      return formatBytes(value, extra);
    case 'cpuUsage':
      return `${formatNumber(value, extra)} %`;
    case 'heartbeat':
      return formatDuration(value);
    case 'custom':
      return formatNumber(value, extra);
  }
}

/**
 * A value shown beside its rule's threshold: with as many decimals as it takes not to read as the
 * threshold it crossed (p95 500.4 over 500 reads "500.4 ms", not "500 ms (> 500 ms)").
 */
export function formatValueBeside(rule: Pick<AlertRule, 'metric' | 'threshold'>, value: number | null): string {
  let shown = formatValue(rule.metric, value);
  for (let extra = 1; extra <= 6 && value !== null && value !== rule.threshold && shown === formatValue(rule.metric, rule.threshold); extra++) {
    shown = formatValue(rule.metric, value, extra);
  }
  return shown;
}

/** "> 2000 ms" */
export function formatThreshold(rule: Pick<AlertRule, 'metric' | 'condition' | 'threshold'>): string {
  return `${CONDITION_SYMBOL[rule.condition]} ${formatValue(rule.metric, rule.threshold)}`;
}

/** "p95 response time of GET /users/:id" or "memory (RSS) of instance web-1". */
export function describeMetric(rule: Pick<AlertRule, 'metric' | 'route' | 'method' | 'instance'>): string {
  const scope = [rule.method, rule.route].filter((part) => part !== undefined).join(' ');
  const label = METRIC_LABEL[rule.metric];
  if (scope) return `${label} of ${scope}`;
  if (rule.instance !== undefined) return `${label} of instance ${rule.instance}`;
  return label;
}

/** "2026-11-26 12:05:00 UTC": the same in every runtime and time zone. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
