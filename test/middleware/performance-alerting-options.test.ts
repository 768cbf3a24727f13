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


// Found by a review: a malformed channel threw a bare `TypeError: alert channel: …` (which one, of
// several?), and a Slack channel with no url at all (`config: {}`) was only warned of.
test.each([
  ['an unknown type', [{ type: 'sms', config: {} }], 'performanceAlerting option channels[0] (sms): type: expected one of slack, webhook, email, pagerduty'],
  ['a bad url in the third', [{ type: 'webhook', config: { url: 'https://a.example/x' } }, { type: 'slack', config: { url: undefined } }, { type: 'slack', config: { url: 'not a url' } }], 'performanceAlerting option channels[2] (slack): config.url: expected a https: or http: URL'],
  ['a Slack channel without its url', [{ type: 'slack', config: {} }], 'performanceAlerting option channels[0] (slack): config.url is missing; set it (given as undefined, from an unset variable, the channel is skipped with a warning)'],
  ['a webhook without its url', [{ type: 'webhook', config: { token: 't' } }], 'performanceAlerting option channels[0] (webhook): config.url is missing'],
  ['PagerDuty without its routingKey', [{ type: 'pagerduty', config: {} }], 'performanceAlerting option channels[0] (pagerduty): config.routingKey is missing'],
  ['not an object', [null], 'performanceAlerting option channels[0]: (channel): expected an object'],
])('%s: a ConfigError naming the channel by its position', (_, channels, message) => {
  let thrown: unknown;
  try {
    new PerformanceAlerting({ sampleProcess: false, channels: channels as never }).close();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as Error).message).toStartWith(message);
});

test('a url given as undefined (an unset variable) is still warned of and skipped, and a disabled channel may leave it out', () => {
  const lines: string[] = [];
  new PerformanceAlerting({ sampleProcess: false, log: (line) => lines.push(line), channels: [{ type: 'slack', config: { url: undefined } }, { type: 'slack', enabled: false, config: {} }] }).close();
  expect(lines).toEqual(['bun-apm: alerting: slack channel #0 has no config.url; its notifications are skipped']);
});
