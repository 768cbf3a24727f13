// A rule's metric over its window: the one place these formulas live, for both hosts.
import { windowStart, type AlertData } from './alert-data.ts';
import { AlertDataIndex } from './alert-data-index.ts';
import { resolveRule, type AlertRule, type GaugeMetric } from './rule.ts';

/**
 * `value` null: no data; `requests`: requests in the window (request metrics); `instance`: the
 * instance the value is the mean of (gauge metrics: the worst one), when it has a name.
 */
export interface MetricReading {
  value: number | null;
  requests?: number;
  instance?: string;
  /** No value yet because the window began before counting did (a fall can't be judged): not "no data came". */
  unjudged?: boolean;
}

const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/**
 * The rule's metric over [windowStart(now, duration), now]; not for `custom`.
 *
 * - responseTime: mean duration (sum / count); p50/p95/p99: from the merged quantile sketch (≤ 1 %
 *   relative error); errorRate: errors / count. Fewer than `minRequests` requests → no data.
 * - requestRate: requests / seconds of the window; 0 when idle. While the window began before counting
 *   did (in-process: alerting started within it), a rise above a threshold is read the same way (the
 *   process served nothing before: a warm-up burst is its requests over the window, not over the
 *   seconds since, which had paged on every deploy's first second), and a fall below one is not
 *   judged yet (`unjudged`: the rule holds its state, even with noData 'alerting'; a start had read
 *   as a drop at every deploy).
 * - memoryUsage (RSS), cpuUsage, eventLoopLag: each instance's mean over the window; the highest
 *   instance counts (one leaking among healthy ones still alerts).
 * - heartbeat: ms since the app (any instance) or `rule.instance` last sent data.
 *
 * @example
 * computeMetricValue({ id: 'p95', name: 'p95', metric: 'p95', condition: 'gt', threshold: 500, severity: 'warning' },
 *   { cells: table.cellsNow(), profiles: [], samples: [], lastSeen: {} }, Date.now());
 */
export function computeMetricValue(rule: AlertRule, data: AlertData | AlertDataIndex, now: number): MetricReading {
  const index = data instanceof AlertDataIndex ? data : new AlertDataIndex(data);
  const resolved = resolveRule(rule);
  const start = windowStart(now, resolved.duration);
  switch (rule.metric) {
    case 'responseTime':
    case 'p50':
    case 'p95':
    case 'p99':
    case 'errorRate': {
      const agg = index.requests(start, now, rule.route, rule.method);
      if (agg.count < resolved.minRequests || agg.count === 0) return { value: null, requests: agg.count };
      if (rule.metric === 'responseTime') return { value: agg.durationSum / agg.count, requests: agg.count };
      if (rule.metric === 'errorRate') return { value: agg.errors / agg.count, requests: agg.count };
      return { value: agg.sketch().quantile(QUANTILES[rule.metric]), requests: agg.count };
    }
    case 'requestRate': {
      const agg = index.requests(start, now, rule.route, rule.method);
      const rising = rule.condition === 'gt' || rule.condition === 'gte';
      if (!rising && index.since !== undefined && index.since > start) return { value: null, requests: agg.count, unjudged: true };
      return { value: agg.count / ((now - start) / 1000), requests: agg.count };
    }
    case 'memoryUsage':
    case 'cpuUsage':
    case 'eventLoopLag':
      return worstInstanceMean(index, rule.metric, start, now, rule.instance);
    case 'heartbeat':
      return { value: silence(index.lastSeen, now, rule.instance) };
    case 'custom':
      throw new TypeError(`rule ${rule.id}: a custom rule's value comes from its customEvaluator`);
  }
}

const GAUGE_FIELD = { memoryUsage: 'rss', cpuUsage: 'cpuPercent', eventLoopLag: 'eventLoopLagMs' } as const;

/** The highest instance mean, and that instance's name (none for profiles sent without one). */
function worstInstanceMean(index: AlertDataIndex, metric: GaugeMetric, start: number, end: number, instance?: string): MetricReading {
  const field = GAUGE_FIELD[metric];
  const sums = new Map<string, { sum: number; n: number }>();
  for (const profile of index.profiles(start, end)) {
    const value = profile[field];
    if (value === undefined || !Number.isFinite(value)) continue;
    const name = profile.instance ?? '';
    if (instance !== undefined && name !== instance) continue;
    const entry = sums.get(name);
    if (entry === undefined) sums.set(name, { sum: value, n: 1 });
    else {
      entry.sum += value;
      entry.n++;
    }
  }
  let worst: MetricReading = { value: null };
  for (const [name, { sum, n }] of sums) {
    const mean = sum / n;
    if (worst.value !== null && !(mean > worst.value)) continue;
    worst = name === '' ? { value: mean } : { value: mean, instance: name };
  }
  return worst;
}

function silence(lastSeen: Readonly<Record<string, number>>, now: number, instance?: string): number | null {
  let last: number | undefined;
  if (instance !== undefined) last = Object.hasOwn(lastSeen, instance) ? lastSeen[instance] : undefined; // not Object's `constructor`
  else for (const seen of Object.values(lastSeen)) last = Math.max(last ?? -Infinity, seen);
  return last === undefined ? null : Math.max(0, now - last);
}
