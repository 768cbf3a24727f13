// The spec's `alerting.thresholds` of PerformanceMonitor, as rules of an in-process PerformanceAlerting.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { channelsFromEnv } from '../../core/alerts/channels-from-env.ts';
import { PerformanceAlerting } from '../performance-alerting.ts';
import type { PerformanceOptions } from '../types.ts';

export function thresholdRules(thresholds: NonNullable<NonNullable<PerformanceOptions['alerting']>['thresholds']>): AlertRule[] {
  const rules: AlertRule[] = [];
  const add = (metric: 'responseTime' | 'errorRate' | 'memoryUsage', threshold: number | undefined, name: string) => {
    if (threshold === undefined) return;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
      throw new RangeError(`performanceMonitor: alerting.thresholds.${metric} must be a number ≥ 0`);
    }
    rules.push({ id: `monitor-${metric}`, name, enabled: true, metric, condition: 'gt', threshold, duration: 60_000, severity: 'warning' });
  };
  add('responseTime', thresholds.responseTime, 'Response time over threshold');
  add('errorRate', thresholds.errorRate, 'Error rate over threshold');
  add('memoryUsage', thresholds.memoryUsage, 'Memory usage over threshold');
  return rules;
}

/** Notifies the channels of the environment (SLACK_WEBHOOK_URL, WEBHOOK_URL, …); more can be added with addChannel. */
export function thresholdAlerting(options: PerformanceOptions['alerting'], log: ((line: string) => void) | undefined, env = process.env): PerformanceAlerting | undefined {
  if (!options || options.enabled === false) return undefined;
  const rules = thresholdRules(options.thresholds ?? {});
  if (rules.length === 0) return undefined;
  return new PerformanceAlerting({ rules, channels: options.channels ?? channelsFromEnv(env), log });
}
