import { describe, expect, test } from 'bun:test';
import type { AlertNotification } from '../../../src/core/alerts/notification.ts';
import type { AlertStatus, RuleState } from '../../../src/core/alerts/rule-state.ts';
import { compare, resolveRule, type AlertRule } from '../../../src/core/alerts/rule.ts';
import { resolveRuleAlert, retireRule, stepRule, type RuleOutcome } from '../../../src/core/alerts/step-rule.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;
const BASE: AlertRule = { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning' };

/** A value (compared with the rule), null for no data, or 'error' for an evaluator that threw. */
type Input = number | null | 'error';
/** [minute, input, expected status, expected notifications ("firing", "firing+repeat", "resolved", "error")] */
type Step = [number, Input, AlertStatus, string[]];

function outcome(rule: AlertRule, input: Input): RuleOutcome {
  if (input === 'error') return { error: 'Error: boom' };
  if (input === null) return { value: null, met: null };
  return { value: input, met: compare(rule.condition, input, rule.threshold) };
}

function label(n: AlertNotification): string {
  return n.repeat ? `${n.state}+repeat` : n.state;
}

function play(overrides: Partial<AlertRule>, steps: Step[]): { states: RuleState[]; notifications: AlertNotification[][] } {
  const rule = resolveRule({ ...BASE, ...overrides });
  let state: RuleState | undefined;
  const states: RuleState[] = [];
  const notifications: AlertNotification[][] = [];
  for (const [minute, input, status, sent] of steps) {
    const t = stepRule(rule, state, outcome(rule, input), T0 + minute * MIN, { app: 'shop' });
    state = t.state;
    states.push(state);
    notifications.push(t.notifications);
    expect({ minute, status: state.status, sent: t.notifications.map(label) }).toEqual({ minute, status, sent });
  }
  return { states, notifications };
}

const table: Array<[string, Partial<AlertRule>, Step[]]> = [
  ['below the threshold stays inactive', {}, [[0, 50, 'inactive', []], [1, 100, 'inactive', []]]],
  ['fires on the first evaluation that meets it (for = 0)', {}, [[0, 150, 'firing', ['firing']]]],
  ['a firing alert is announced once', {}, [[0, 150, 'firing', ['firing']], [1, 200, 'firing', []], [2, 300, 'firing', []]]],
  ['resolves, and says so', {}, [[0, 150, 'firing', ['firing']], [1, 50, 'resolved', ['resolved']], [2, 50, 'resolved', []]]],
  ['fires again after resolving', {}, [[0, 150, 'firing', ['firing']], [1, 50, 'resolved', ['resolved']], [2, 150, 'firing', ['firing']]]],
  ['for: pending until the condition has held that long', { for: 2 * MIN }, [
    [0, 150, 'pending', []], [1, 150, 'pending', []], [2, 150, 'firing', ['firing']],
  ]],
  ['for: a pending alert that clears goes back to inactive, silently', { for: 2 * MIN }, [
    [0, 150, 'pending', []], [1, 50, 'inactive', []], [2, 150, 'pending', []],
  ]],
  ['keepFiringFor: one good minute does not resolve', { keepFiringFor: 2 * MIN }, [
    [0, 150, 'firing', ['firing']], [1, 50, 'firing', []], [2, 150, 'firing', []], [3, 50, 'firing', []], [4, 50, 'resolved', ['resolved']],
  ]],
  ['cooldown holds back a quick re-fire and announces it when the cooldown ends', { cooldown: 5 * MIN }, [
    [0, 150, 'firing', ['firing']], [1, 50, 'resolved', ['resolved']], [2, 150, 'firing', []], [4, 150, 'firing', []], [5, 150, 'firing', ['firing']],
  ]],
  ['cooldown: a held-back alert that resolves is not announced as resolved', { cooldown: 5 * MIN }, [
    [0, 150, 'firing', ['firing']], [1, 50, 'resolved', ['resolved']], [2, 150, 'firing', []], [3, 50, 'resolved', []],
  ]],
  ['repeatInterval re-notifies a still-firing alert', { repeatInterval: 2 * MIN }, [
    [0, 150, 'firing', ['firing']], [1, 150, 'firing', []], [2, 150, 'firing', ['firing+repeat']], [3, 150, 'firing', []], [4, 150, 'firing', ['firing+repeat']],
  ]],
  ['repeatInterval also applies while keepFiringFor holds the alert', { repeatInterval: MIN, keepFiringFor: 5 * MIN }, [
    [0, 150, 'firing', ['firing']], [1, 50, 'firing', ['firing+repeat']],
  ]],
  ['notifyOnResolve: false resolves quietly', { notifyOnResolve: false }, [[0, 150, 'firing', ['firing']], [1, 50, 'resolved', []]]],
  ['noData ok (default): no data resolves', {}, [[0, 150, 'firing', ['firing']], [1, null, 'resolved', ['resolved']]]],
  ['noData alerting: no data fires', { noData: 'alerting' }, [[0, null, 'firing', ['firing']], [1, 50, 'resolved', ['resolved']]]],
  ['noData keep: a firing alert stays firing', { noData: 'keep' }, [
    [0, 150, 'firing', ['firing']], [1, null, 'firing', []], [2, 50, 'resolved', ['resolved']],
  ]],
  ['noData keep: inactive stays inactive, pending stays pending', { noData: 'keep', for: 2 * MIN }, [
    [0, null, 'inactive', []], [1, 150, 'pending', []], [2, null, 'pending', []], [3, 150, 'firing', ['firing']],
  ]],
  ['an evaluator error is announced once and clears silently', {}, [
    [0, 'error', 'error', ['error']], [1, 'error', 'error', []], [2, 50, 'inactive', []],
  ]],
  ['an error while firing keeps the alert open; evaluation resumes from it', {}, [
    [0, 150, 'firing', ['firing']], [1, 'error', 'error', ['error']], [2, 150, 'firing', []], [3, 50, 'resolved', ['resolved']],
  ]],
  ['an evaluation at or before the previous one changes nothing', {}, [
    [1, 150, 'firing', ['firing']], [1, 50, 'firing', []], [0, 50, 'firing', []], [2, 50, 'resolved', ['resolved']],
  ]],
];

describe('stepRule transitions', () => {
  for (const [name, overrides, steps] of table) test(name, () => void play(overrides, steps));
});

describe('stepRule details', () => {
  test('states carry timestamps, the trigger value, the threshold and one alert id per episode', () => {
    const { states, notifications } = play({ for: MIN }, [
      [0, 150, 'pending', []], [1, 180, 'firing', ['firing']], [2, 40, 'resolved', ['resolved']], [3, 300, 'pending', []],
    ]);
    expect(states[1]).toMatchObject({ pendingSince: T0, firingSince: T0 + MIN, triggerValue: 180, value: 180, threshold: 100, alertId: `slow-${T0}` });
    expect(states[2]).toMatchObject({ resolvedAt: T0 + 2 * MIN, resolvedBy: 'condition', value: 40, alertId: `slow-${T0}` });
    expect(states[3]!.alertId).toBe(`slow-${T0 + 3 * MIN}`);
    const [fired] = notifications[1]!;
    const [resolved] = notifications[2]!;
    expect(fired).toMatchObject({ id: `slow-${T0}`, key: `slow-${T0}:firing:${T0 + MIN}`, app: 'shop', value: 180, threshold: 100, startsAt: T0 + MIN, timestamp: T0 + MIN });
    expect(resolved).toMatchObject({ id: `slow-${T0}`, state: 'resolved', value: 40, startsAt: T0 + MIN, endsAt: T0 + 2 * MIN, resolvedBy: 'condition' });
    expect(fired!.message).toBe('Slow: average response time is 180 ms (> 100 ms, last 1 min)');
  });

  test('states and notifications survive a JSON round trip unchanged (the edge stores them as rows)', () => {
    const { states, notifications } = play({}, [[0, 150, 'firing', ['firing']], [1, 'error', 'error', ['error']]]);
    expect(JSON.parse(JSON.stringify(states[1]))).toEqual(states[1]!);
    expect(JSON.parse(JSON.stringify(notifications.flat()))).toEqual(notifications.flat());
  });

  test('an edited threshold is what the next evaluation reports', () => {
    const first = stepRule(resolveRule(BASE), undefined, { value: 150, met: true }, T0);
    const edited = resolveRule({ ...BASE, threshold: 200 });
    const next = stepRule(edited, first.state, { value: 150, met: compare('gt', 150, 200) }, T0 + MIN);
    expect(next.state).toMatchObject({ status: 'resolved', threshold: 200 });
    expect(next.notifications[0]!.threshold).toBe(200);
  });
});

describe('manual resolve', () => {
  const rule = resolveRule(BASE);
  const firing = stepRule(rule, undefined, { value: 150, met: true }, T0).state;

  test('resolves the open alert, announces it, and stays quiet while the condition still holds', () => {
    const manual = resolveRuleAlert(rule, firing, `slow-${T0}`, T0 + 10_000)!;
    expect(manual.state).toMatchObject({ status: 'resolved', resolvedBy: 'manual', resolvedAt: T0 + 10_000 });
    expect(manual.notifications.map((n) => [n.state, n.resolvedBy])).toEqual([['resolved', 'manual']]);
    const still = stepRule(rule, manual.state, { value: 150, met: true }, T0 + MIN);
    expect(still.state.status).toBe('resolved');
    expect(still.notifications).toEqual([]);
    const clears = stepRule(rule, still.state, { value: 50, met: false }, T0 + 2 * MIN);
    const returns = stepRule(rule, clears.state, { value: 150, met: true }, T0 + 3 * MIN);
    expect(returns.state).toMatchObject({ status: 'firing', alertId: `slow-${T0 + 3 * MIN}` });
    expect(returns.notifications.map((n) => n.state)).toEqual(['firing']);
  });

  test('with repeatInterval, a condition that still holds fires again once that much time has passed', () => {
    const repeating = resolveRule({ ...BASE, repeatInterval: 5 * MIN });
    const manual = resolveRuleAlert(repeating, firing, `slow-${T0}`, T0 + MIN)!;
    expect(stepRule(repeating, manual.state, { value: 150, met: true }, T0 + 5 * MIN).state.status).toBe('resolved');
    const again = stepRule(repeating, manual.state, { value: 150, met: true }, T0 + 6 * MIN);
    expect(again.state.status).toBe('firing');
    expect(again.notifications.map((n) => n.state)).toEqual(['firing']);
  });

  test('an unknown or already resolved alert id resolves nothing', () => {
    expect(resolveRuleAlert(rule, firing, 'slow-1', T0 + MIN)).toBeNull();
    const resolved = stepRule(rule, firing, { value: 50, met: false }, T0 + MIN).state;
    expect(resolveRuleAlert(rule, resolved, `slow-${T0}`, T0 + 2 * MIN)).toBeNull();
  });

  test('a pending alert can be resolved by hand; nothing had been announced, so nothing is sent', () => {
    const waiting = resolveRule({ ...BASE, for: 5 * MIN });
    const pending = stepRule(waiting, undefined, { value: 150, met: true }, T0).state;
    const manual = resolveRuleAlert(waiting, pending, `slow-${T0}`, T0 + MIN)!;
    expect(manual.state.status).toBe('resolved');
    expect(manual.notifications).toEqual([]);
  });

  test('an alert whose rule is erroring can still be resolved by hand', () => {
    const erroring = stepRule(rule, firing, { error: 'Error: boom' }, T0 + MIN).state;
    const manual = resolveRuleAlert(rule, erroring, `slow-${T0}`, T0 + 2 * MIN)!;
    expect(manual.state).toMatchObject({ status: 'resolved', resolvedBy: 'manual' });
    expect(manual.state.error).toBeUndefined();
  });
});

describe('retiring a rule', () => {
  test('disabling or removing a firing rule resolves its alert with the reason', () => {
    const rule = resolveRule(BASE);
    const firing = stepRule(rule, undefined, { value: 150, met: true }, T0).state;
    for (const reason of ['rule disabled', 'rule removed'] as const) {
      const t = retireRule(rule, firing, T0 + MIN, reason);
      expect(t.state).toMatchObject({ status: 'resolved', resolvedBy: reason });
      expect(t.notifications.map((n) => [n.state, n.resolvedBy, n.message])).toEqual([['resolved', reason, `Slow: resolved (${reason})`]]);
    }
  });

  test('retiring a rule with nothing open sends nothing', () => {
    const rule = resolveRule(BASE);
    expect(retireRule(rule, undefined, T0, 'rule removed').notifications).toEqual([]);
    const quiet = stepRule(rule, undefined, { value: 50, met: false }, T0).state;
    expect(retireRule(rule, quiet, T0 + MIN, 'rule disabled')).toMatchObject({ state: { status: 'inactive' }, notifications: [] });
  });
});

describe('compare', () => {
  const rows: Array<[Parameters<typeof compare>[0], number, number, boolean]> = [
    ['gt', 2, 1, true], ['gt', 1, 1, false], ['gte', 1, 1, true], ['gte', 0.9, 1, false],
    ['lt', 0, 1, true], ['lt', 1, 1, false], ['lte', 1, 1, true], ['lte', 1.1, 1, false], ['eq', 1, 1, true], ['eq', 1.0001, 1, false],
  ];
  for (const [condition, value, threshold, expected] of rows) {
    test(`${value} ${condition} ${threshold} is ${expected}`, () => expect(compare(condition, value, threshold)).toBe(expected));
  }
});
