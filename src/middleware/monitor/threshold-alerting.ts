// The spec's `alerting.thresholds` of PerformanceMonitor, as rules of an in-process PerformanceAlerting.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { channelsFromEnv } from '../../core/alerts/channels-from-env.ts';
import { MONITOR } from '../../core/config/settings.ts';
import { optionChecks } from '../option-checks.ts';
import { PerformanceAlerting } from '../performance-alerting.ts';
import type { PerformanceOptions } from '../types.ts';

const option = optionChecks('performanceMonitor');
const THRESHOLDS = { responseTime: MONITOR.responseTimeThreshold, errorRate: MONITOR.errorRateThreshold, memoryUsage: MONITOR.memoryUsageThreshold };

export function thresholdRules(thresholds: NonNullable<NonNullable<PerformanceOptions['alerting']>['thresholds']>): AlertRule[] {
  const rules: AlertRule[] = [];
  const add = (metric: 'responseTime' | 'errorRate' | 'memoryUsage', given: number | undefined, name: string) => {
    const threshold = option(THRESHOLDS[metric], given);
    if (threshold === undefined) return;
    rules.push({ id: `monitor-${metric}`, name, enabled: true, metric, condition: 'gt', threshold, duration: 60_000, severity: 'warning' });
  };
  add('responseTime', thresholds.responseTime, 'Response time over threshold');
  add('errorRate', thresholds.errorRate, 'Error rate over threshold');
  add('memoryUsage', thresholds.memoryUsage, 'Memory usage over threshold');
  return rules;
}

/** Notifies the channels of the environment (SLACK_WEBHOOK_URL, WEBHOOK_URL, …); more can be added with addChannel. */
export function thresholdAlerting(options: PerformanceOptions['alerting'], log: ((line: string) => void) | undefined, env = process.env): PerformanceAlerting | undefined {
  if (!options || !option(MONITOR.alertingEnabled, options.enabled)) return undefined;
  const rules = thresholdRules(options.thresholds ?? {});
  if (rules.length === 0) return undefined;
  return new PerformanceAlerting({ rules, channels: options.channels ?? channelsFromEnv(env), log });
}
