// The spec's `alerting.thresholds` of PerformanceMonitor, as rules of an in-process PerformanceAlerting.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { channelsFromEnv } from '../../core/alerts/channels-from-env.ts';
import { MONITOR } from '../../core/config/settings.ts';
import { optionChecks } from '../option-checks.ts';
import { PerformanceAlerting } from '../performance-alerting.ts';
import type { PerformanceOptions } from '../types.ts';
import type { ThresholdMetric, Thresholds } from './monitor-options.ts';

const option = optionChecks('performanceMonitor');

/** The rules of the thresholds as resolveMonitorOptions checked them. */
export function thresholdRules(thresholds: Thresholds): AlertRule[] {
  const rules: AlertRule[] = [];
  const add = (metric: ThresholdMetric, threshold: number | undefined, name: string) => {
    if (threshold === undefined) return;
    rules.push({ id: `monitor-${metric}`, name, enabled: true, metric, condition: 'gt', threshold, duration: 60_000, severity: 'warning' });
  };
  add('responseTime', thresholds.responseTime, 'Response time over threshold');
  add('errorRate', thresholds.errorRate, 'Error rate over threshold');
  add('memoryUsage', thresholds.memoryUsage, 'Memory usage over threshold');
  return rules;
}

/** Notifies the channels of the environment (SLACK_WEBHOOK_URL, WEBHOOK_URL, …); more can be added with addChannel. */
export function thresholdAlerting(options: PerformanceOptions['alerting'], thresholds: Thresholds, log: ((line: string) => void) | undefined, env = process.env): PerformanceAlerting | undefined {
  if (!options || !option(MONITOR.alertingEnabled, options.enabled)) return undefined;
  const rules = thresholdRules(thresholds);
  if (rules.length === 0) return undefined;
  return new PerformanceAlerting({ rules, channels: options.channels ?? channelsFromEnv(env), log });
}
