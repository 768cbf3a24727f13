import { describe, expect, test } from 'bun:test';
import { sampleFromDetail, type AlertData, type AlertSample } from '../../../src/core/alerts/alert-data.ts';
import { activeAlert } from '../../../src/core/alerts/alert-engine.ts';
import { evaluateRule, evaluateRules } from '../../../src/core/alerts/evaluate-rules.ts';
import type { RuleState } from '../../../src/core/alerts/rule-state.ts';
import type { AlertRule } from '../../../src/core/alerts/rule.ts';
import { RollupTable, toWire } from '../../../src/core/rollup.ts';
import { makeBatch } from '../../support/batch.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;
const empty: AlertData = { cells: [], profiles: [], samples: [], lastSeen: {} };

function sample(time: number, path: string, statusCode: number, responseTime = 10, method = 'GET'): AlertSample {
  return { timestamp: time, method, path, statusCode, responseTime };
}

// The spec's custom rule, as written there.
const notFound: AlertRule = {
  id: 'custom-rule',
  name: 'Custom Business Logic',
  enabled: true,
  metric: 'custom',
  condition: 'gt',
  threshold: 0,
  severity: 'warning',
  customEvaluator: (metrics) => {
    const notFoundCount = metrics.filter((m) => m.statusCode === 404).length;
    return notFoundCount > 10;
  },
};

describe('custom evaluators', () => {
  test("the spec's 404 rule fires on the 11th 404 of its window", () => {
    const samples = Array.from({ length: 10 }, (_, i) => sample(T0 + i * 1000, '/missing', 404));
    const ten = evaluateRule(notFound, { ...empty, samples }, undefined, T0 + 30_000);
    expect(ten.state).toMatchObject({ status: 'inactive', value: 0 });
    const eleven = evaluateRule(notFound, { ...empty, samples: [...samples, sample(T0 + 40_000, '/x', 404)] }, ten.state, T0 + 45_000);
    expect(eleven.state).toMatchObject({ status: 'firing', value: 1 });
    expect(eleven.notifications.map((n) => n.message)).toEqual(['Custom Business Logic: custom evaluator is 1 (> 0, last 1 min)']);
  });

  test('the evaluator sees only its window and its route/method filter', () => {
    const seen: AlertSample[][] = [];
    const rule: AlertRule = { ...notFound, route: '/pay', method: 'POST', duration: 2 * MIN, customEvaluator: (m) => void seen.push(m) };
    const samples = [
      sample(T0 - 5 * MIN, '/pay', 500, 1, 'POST'),
      sample(T0, '/pay', 500, 1, 'POST'),
      sample(T0 + 1000, '/pay', 500, 1, 'GET'),
      { ...sample(T0 + 2000, '/pay/42', 500, 1, 'POST'), route: '/pay' },
      sample(T0 + 3000, '/other', 500, 1, 'POST'),
    ];
    const t = evaluateRule(rule, { ...empty, samples }, undefined, T0 + MIN);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((s) => s.timestamp)).toEqual([T0, T0 + 2000]);
    expect(t.state).toMatchObject({ status: 'inactive', value: null }); // undefined = no data
  });

  test('a number is compared with the condition and threshold', () => {
    const rule: AlertRule = { ...notFound, condition: 'gte', threshold: 3, customEvaluator: (m) => m.length };
    const samples = [1, 2, 3].map((i) => sample(T0 + i, '/', 200));
    expect(evaluateRule(rule, { ...empty, samples: samples.slice(0, 2) }, undefined, T0 + MIN).state.status).toBe('inactive');
    expect(evaluateRule(rule, { ...empty, samples }, undefined, T0 + MIN).state).toMatchObject({ status: 'firing', value: 3 });
  });

  test('one that throws puts its rule in error; the rules after it still run', () => {
    const throwing: AlertRule = { ...notFound, id: 'broken', name: 'Broken', customEvaluator: () => { throw new RangeError('no region header'); } };
    const asyncOne: AlertRule = { ...notFound, id: 'async', name: 'Async', customEvaluator: (async () => true) as unknown as AlertRule['customEvaluator'] };
    const stringOne: AlertRule = { ...notFound, id: 'string', name: 'String', customEvaluator: (() => 'yes') as unknown as AlertRule['customEvaluator'] };
    const always: AlertRule = { ...notFound, id: 'always', name: 'Always', customEvaluator: () => true };
    const cells = new RollupTable();
    cells.record(T0, 'GET', '/', 200, 5_000, 0);
    const slow: AlertRule = { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 1000, severity: 'critical' };
    const result = evaluateRules([throwing, asyncOne, stringOne, always, slow], { ...empty, cells: cells.cellsNow() }, {}, T0 + 10_000);
    expect(result.states.broken).toMatchObject({ status: 'error', error: 'RangeError: no region header', value: null, errorSince: T0 + 10_000 });
    expect(result.states.async!.error).toContain('a Promise');
    expect(result.states.string!.error).toContain('string yes');
    expect(result.states.always!.status).toBe('firing');
    expect(result.states.slow).toMatchObject({ status: 'firing', value: 5000 });
    expect(result.notifications.map((n) => `${n.ruleId}:${n.state}`)).toEqual(['broken:error', 'async:error', 'string:error', 'always:firing', 'slow:firing']);
    expect(result.notifications[0]!.message).toBe('Broken: cannot be evaluated: RangeError: no region header');
  });

  test('detail records from the wire are handed over with the spec field names', () => {
    const [stored] = makeBatch(T0).samples;
    const converted = sampleFromDetail(stored!);
    expect(converted.responseTime).toBe(stored!.duration);
    expect(converted).toMatchObject({ path: stored!.path, statusCode: stored!.statusCode, userAgent: stored!.userAgent });
    expect('duration' in converted).toBe(false);
  });
});

describe('evaluateRules over rollups, minute by minute', () => {
  const slow: AlertRule = { id: 'p95', name: 'Slow p95', metric: 'p95', condition: 'gt', threshold: 500, duration: MIN, severity: 'critical', for: MIN };
  const errors: AlertRule = { id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.1, duration: 2 * MIN, severity: 'warning' };

  /** Minute m's traffic: 100 requests, `ms` each, `failing` of them 5xx. */
  function minute(table: RollupTable, m: number, ms: number, failing = 0): void {
    for (let i = 0; i < 100; i++) table.record(T0 + m * MIN + i * 500, 'GET', '/api', i < failing ? 500 : 200, ms, 10);
  }

  test('slow traffic → pending → one firing notification; recovery → one resolved; re-running a minute sends nothing', () => {
    const table = new RollupTable();
    const sent: string[] = [];
    let states: Record<string, RuleState> = {};
    const tick = (m: number) => {
      const result = evaluateRules([slow, errors], { ...empty, cells: table.cellsNow().map(toWire) }, states, T0 + (m + 1) * MIN, { app: 'shop' });
      states = result.states;
      sent.push(...result.notifications.map((n) => `${m}:${n.ruleId}:${n.state}`));
      return result;
    };
    minute(table, 0, 50); tick(0);
    minute(table, 1, 900); tick(1);
    expect(states.p95!.status).toBe('pending');
    minute(table, 2, 900, 30); tick(2);
    const again = tick(2);
    expect(again.notifications).toEqual([]);
    minute(table, 3, 40); tick(3);
    minute(table, 4, 40); tick(4);
    minute(table, 5, 40); tick(5);
    // p95 reads one minute and recovers with minute 3; the 2-minute error rate still sees minute 2's 5xx at tick 3.
    expect(sent).toEqual(['2:p95:firing', '2:errors:firing', '3:p95:resolved', '4:errors:resolved']);
    expect(states.p95!.status).toBe('resolved');    expect(Math.abs(states.p95!.triggerValue! - 900) / 900).toBeLessThan(0.01);
  });

  test('a corrupt stored sketch errors the percentile rule only', () => {
    const table = new RollupTable();
    minute(table, 0, 900, 50);
    const cells = table.cellsNow().map((c) => ({ ...toWire(c), sketch: 'not a sketch' }));
    const result = evaluateRules([slow, errors], { ...empty, cells }, {}, T0 + MIN);
    expect(result.states.p95).toMatchObject({ status: 'error' });
    expect(result.states.p95!.error).toContain('sketch');
    expect(result.states.errors).toMatchObject({ status: 'firing', value: 0.5 });
  });
});

describe('heartbeat and no data through evaluateRules', () => {
  test('an app silent for longer than the threshold fires, and resolves when data comes back', () => {
    const heartbeat: AlertRule = { id: 'silent', name: 'No data', metric: 'heartbeat', condition: 'gt', threshold: 5 * MIN, severity: 'critical' };
    const quiet = evaluateRules([heartbeat], { ...empty, lastSeen: { 'web-1': T0 } }, {}, T0 + 5 * MIN);
    expect(quiet.states.silent!.status).toBe('inactive');
    const silent = evaluateRules([heartbeat], { ...empty, lastSeen: { 'web-1': T0 } }, quiet.states, T0 + 6 * MIN);
    expect(silent.notifications.map((n) => n.message)).toEqual(['No data: time since data was last received is 6 min (> 5 min)']);
    const back = evaluateRules([heartbeat], { ...empty, lastSeen: { 'web-1': T0 + 7 * MIN } }, silent.states, T0 + 7 * MIN);
    expect(back.notifications.map((n) => n.state)).toEqual(['resolved']);
  });

  test('noData alerting fires on an empty window; ok stays quiet', () => {
    const rules: AlertRule[] = [
      { id: 'a', name: 'A', metric: 'errorRate', condition: 'gt', threshold: 0.1, severity: 'warning', noData: 'alerting' },
      { id: 'b', name: 'B', metric: 'errorRate', condition: 'gt', threshold: 0.1, severity: 'warning' },
    ];
    const result = evaluateRules(rules, empty, {}, T0);
    expect(result.states.a).toMatchObject({ status: 'firing', value: null });
    expect(result.states.b).toMatchObject({ status: 'inactive', value: null });
    expect(result.notifications[0]!.message).toBe('A: error rate is no data (> 10 %, last 1 min)');
  });
});

describe('disabled rules and active alerts', () => {
  const always: AlertRule = { ...notFound, customEvaluator: () => true };

  test('disabling a firing rule resolves its alert once', () => {
    const firing = evaluateRule(always, empty, undefined, T0).state;
    const disabled = { ...always, enabled: false };
    const first = evaluateRule(disabled, empty, firing, T0 + MIN);
    expect(first.notifications.map((n) => n.resolvedBy)).toEqual(['rule disabled']);
    expect(evaluateRule(disabled, empty, first.state, T0 + 2 * MIN).notifications).toEqual([]);
  });

  test('activeAlert describes a firing alert (also while its rule errors) and nothing else', () => {
    const firing = evaluateRule(always, empty, undefined, T0).state;
    expect(activeAlert(always, firing, { app: 'shop' })).toMatchObject({ id: `custom-rule-${T0}`, state: 'firing', app: 'shop', startsAt: T0 });
    const broken = evaluateRule({ ...always, customEvaluator: () => { throw new Error('x'); } }, empty, firing, T0 + MIN).state;
    expect(activeAlert(always, broken)).toMatchObject({ id: `custom-rule-${T0}`, error: 'Error: x' });
    expect(activeAlert(always, evaluateRule({ ...always, customEvaluator: () => false }, empty, undefined, T0).state)).toBeNull();
  });
});
