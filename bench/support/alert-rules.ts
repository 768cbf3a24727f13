// The rule set both alert benchmarks evaluate: app-wide and per-route request rules with 1–60 min
// windows, gauges per instance and heartbeats (the in-process bench adds custom rules on top).
import type { AlertMetric, AlertRule } from '../../src/core/alerts/rule.ts';

const MIN = 60_000;
const WINDOWS = [1, 2, 5, 10, 15, 60];
const REQUEST: AlertMetric[] = ['responseTime', 'p50', 'p95', 'p99', 'errorRate', 'requestRate'];
const GAUGES: AlertMetric[] = ['memoryUsage', 'cpuUsage', 'eventLoopLag'];
const threshold = (metric: AlertMetric) => (metric === 'errorRate' ? 0.05 : metric === 'requestRate' ? 1 : 400);

export function benchRules(options: { routeRules: number; routes: number; instances: number }): Array<Omit<AlertRule, 'customEvaluator'>> {
  const rules: Array<Omit<AlertRule, 'customEvaluator'>> = [];
  for (let i = 0; i < 40; i++) {
    const metric = REQUEST[i % REQUEST.length]!;
    rules.push({ id: `app-${i}`, name: `App ${metric}`, metric, condition: 'gt', threshold: threshold(metric), duration: WINDOWS[i % WINDOWS.length]! * MIN, severity: 'warning' });
  }
  for (let i = 0; i < options.routeRules; i++) {
    const metric = REQUEST[i % 5]!;
    rules.push({
      id: `route-${i}`, name: `Route ${i} ${metric}`, metric, condition: 'gt', threshold: threshold(metric), duration: WINDOWS[1 + (i % 4)]! * MIN,
      severity: 'critical', route: `/api/resource-${i % options.routes}/:id`, ...(i % 3 === 0 ? { method: 'GET' } : {}), for: 2 * MIN,
    });
  }
  for (let i = 0; i < 20; i++) {
    const metric = GAUGES[i % 3]!;
    rules.push({ id: `gauge-${i}`, name: `Gauge ${metric}`, metric, condition: 'gt', threshold: metric === 'memoryUsage' ? 3.5e8 : 50, duration: WINDOWS[2 + (i % 3)]! * MIN, severity: 'warning', ...(i % 2 ? { instance: `web-${i % options.instances}` } : {}) });
  }
  for (let i = 0; i < 10; i++) rules.push({ id: `heartbeat-${i}`, name: 'Silent', metric: 'heartbeat', condition: 'gt', threshold: 5 * MIN, severity: 'critical', instance: `web-${i}` });
  return rules;
}
