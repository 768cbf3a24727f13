// PerformanceMonitor's alerting.thresholds are checked as options, alerting on or off: errorRate is a
// fraction (docs/options.md), and 5 (meaning 5 %) had thrown the alert rule's AlertRuleError naming
// "alert rule 'monitor-errorRate': threshold", or, with alerting.enabled false, been taken silently
// (a review). Each mistake is a ConfigError naming the option and what it accepts.
import { afterEach, describe, expect, test } from 'bun:test';
import { AlertRuleError } from '../../src/core/alerts/validate-rule.ts';
import { performanceMonitor, PerformanceMonitor } from '../../src/middleware/index.ts';
import { resolveMonitorOptions } from '../../src/middleware/monitor/monitor-options.ts';
import { thresholdRules } from '../../src/middleware/monitor/threshold-alerting.ts';
import { thrown } from '../support/config-error.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const OPTION = 'performanceMonitor option alerting.thresholds';

describe('alerting.thresholds', () => {
  for (const enabled of [true, false, undefined]) {
    test(`errorRate 5 is a ConfigError naming the option and 0 to 1 (alerting.enabled ${enabled})`, () => {
      const error = thrown(() => new PerformanceMonitor({ profiling: { enabled: false }, alerting: { enabled, thresholds: { errorRate: 5 }, channels: [] } }));
      expect(error).not.toBeInstanceOf(AlertRuleError);
      expect(error.message).toBe(`${OPTION}.errorRate: expected a number from 0 to 1, got 5`);
    });
  }

  test.each([
    ['errorRate -0.01', { errorRate: -0.01 }, `${OPTION}.errorRate: expected a number from 0 to 1, got -0.01`],
    ['errorRate 1.5', { errorRate: 1.5 }, `${OPTION}.errorRate: expected a number from 0 to 1, got 1.5`],
    ['errorRate "0.05"', { errorRate: '0.05' }, `${OPTION}.errorRate: expected a number from 0 to 1, got "0.05"`],
    ['responseTime -1', { responseTime: -1 }, `${OPTION}.responseTime: expected a number of at least 0, got -1`],
    ['responseTime NaN', { responseTime: Number.NaN }, `${OPTION}.responseTime: expected a number of at least 0, got NaN`],
    ['memoryUsage Infinity', { memoryUsage: Number.POSITIVE_INFINITY }, `${OPTION}.memoryUsage: expected a number of at least 0, got Infinity`],
  ] as const)('with alerting off, %s is refused all the same', (_, thresholds, message) => {
    expect(thrown(() => performanceMonitor({ profiling: { enabled: false }, alerting: { enabled: false, thresholds: thresholds as never } })).message).toBe(message);
  });

  test('thresholds not an object is a ConfigError naming it', () => {
    for (const thresholds of [5, null, [0.1]]) {
      expect(thrown(() => performanceMonitor({ alerting: { enabled: false, thresholds: thresholds as never } })).message).toBe(`${OPTION}: expected an object of responseTime, errorRate, memoryUsage`);
    }
  });

  test('the bounds are taken: errorRate 0 and 1 make their rule, with the value given', () => {
    for (const errorRate of [0, 1]) {
      const thresholds = resolveMonitorOptions({ alerting: { thresholds: { errorRate, responseTime: 0 } } }).thresholds;
      expect(thresholdRules(thresholds).map((rule) => [rule.id, rule.threshold])).toEqual([['monitor-responseTime', 0], ['monitor-errorRate', errorRate]]);
      const monitor = performanceMonitor({ profiling: { enabled: false }, alerting: { thresholds: { errorRate }, channels: [] } });
      closers.push(monitor.close);
      expect(monitor.alerting).toBeDefined();
    }
  });

  test('a misspelt threshold is warned of, as the sections\' other unknown options are', () => {
    const lines: string[] = [];
    const monitor = performanceMonitor({ log: (line) => void lines.push(line), profiling: { enabled: false }, alerting: { thresholds: { errorrate: 0.05 } as never, channels: [] } });
    closers.push(monitor.close);
    expect(lines).toEqual(['bun-apm: performanceMonitor option alerting.thresholds.errorrate is unknown and ignored (did you mean errorRate?)']);
  });
});
