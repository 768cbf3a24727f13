// PerformanceAlerting's delivery options are checked like its other options (found by a review:
// they were not checked at all, and `delivery.timeoutMs: 1e300` timed every delivery out after
// 1 ms, as a timer runs a delay past 2^31 - 1 ms at once).
import { expect, test } from 'bun:test';
import { ConfigError } from '../../src/core/config/config-error.ts';
import { ALERTING } from '../../src/core/config/settings.ts';
import { PerformanceAlerting } from '../../src/middleware/performance-alerting.ts';
import type { DeliveryOptions } from '../../src/middleware/alerting/deliver.ts';

const make = (delivery: unknown, log: (line: string) => void = () => {}) => new PerformanceAlerting({ sampleProcess: false, log, delivery: delivery as DeliveryOptions }).close();

test('every delivery setting has bounds, the timers\' within what a timer can wait', () => {
  for (const setting of [ALERTING.deliveryAttempts, ALERTING.deliveryBackoffMs, ALERTING.deliveryTimeoutMs]) {
    expect([setting.key, setting.kind.min !== undefined, setting.kind.max! <= 2 ** 31 - 1]).toEqual([setting.key, true, true]);
  }
});

test.each([
  ['timeoutMs', [1e300, 2 ** 31, 600_001, 99, 0, -1, 1.5, NaN, Infinity, '5000'], 100, 600_000],
  ['backoffMs', [1e300, 2 ** 31, 600_001, -1, 0.5, NaN], 0, 600_000],
  ['attempts', [1e300, 21, 0, -1, 2.5, NaN], 1, 20],
])('delivery.%s out of range is a ConfigError naming the option', (key, bad, min, max) => {
  for (const value of bad) {
    expect(() => make({ [key]: value })).toThrow(ConfigError);
    expect(() => make({ [key]: value })).toThrow(new RegExp(`^performanceAlerting option delivery\\.${key}: expected an integer from ${min} to ${max}, got `));
  }
  make({ [key]: min });
  make({ [key]: max });
});

test('delivery that is not an object is refused; a misspelt key is warned of', () => {
  expect(() => make(5)).toThrow('performanceAlerting option delivery: expected an object of attempts, backoffMs, timeoutMs');
  const lines: string[] = [];
  make({ timeoutMS: 1e300 }, (line) => lines.push(line));
  expect(lines).toEqual(['bun-apm: performanceAlerting option delivery.timeoutMS is unknown and ignored (did you mean timeoutMs?)']);
});

test('a rule with repeatInterval under the 1 min floor is taken (the app still starts) and warned of once per rule', () => {
  const lines: string[] = [];
  const rule = { id: 'fast', name: 'Fast', metric: 'errorRate', condition: 'gt', threshold: 0.1, severity: 'critical', repeatInterval: 30_000 } as const;
  const alerting = new PerformanceAlerting({ sampleProcess: false, log: (line) => lines.push(line), rules: [rule, { ...rule, id: 'slow', repeatInterval: 120_000 }] });
  alerting.updateRule('fast', { repeatInterval: 1000 });
  alerting.updateRule('slow', { repeatInterval: 5000 });
  alerting.close();
  expect(lines).toEqual([
    "bun-apm: alerting: rule 'fast': repeatInterval: 30000 ms is under the minimum, 60000: reminders go every 60000 ms",
    "bun-apm: alerting: rule 'slow': repeatInterval: 5000 ms is under the minimum, 60000: reminders go every 60000 ms",
  ]);
});

