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

  test('a wrong-typed result is described in at most 500 characters, however large or hostile (review: kept whole)', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => sample(T0 + (i % 1000), '/', 200));
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const trapsThrow = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    const results: Array<[string, unknown, string]> = [
      ['a toString of 5 MB', { toString: () => 'x'.repeat(5e6) }, 'returned object [object Object] {toString}'],
      ['a huge string', 'y'.repeat(5e6), 'returned string yyy'],
      ['the metrics array itself', 'metrics', 'returned object [object Array] (50000 items)'],
      ['a toString that throws', { toString: () => { throw new Error('no'); } }, 'returned object [object Object] {toString}'],
      ['a null-prototype object', Object.assign(Object.create(null), { a: 1 }), 'returned object [object Object] {a}'],
      ['a Proxy whose traps throw', trapsThrow, 'returned object'],
      ['a revoked Proxy', revocable.proxy, 'returned object'],
      ['a huge bigint', 10n ** 5000n, 'returned bigint (over 40 digits)'],
      ['NaN', NaN, 'returned number NaN'],
      ['a symbol of 5 MB', Symbol('z'.repeat(5e6)), 'returned symbol Symbol(zzz'],
    ];
    for (const [label, result, shown] of results) {
      const rule: AlertRule = { ...notFound, customEvaluator: ((m: AlertSample[]) => (result === 'metrics' ? m : result)) as unknown as AlertRule['customEvaluator'] };
      const { states, notifications } = evaluateRules([rule], { ...empty, samples: many }, {}, T0 + 30_000);
      const { status, error = '' } = states['custom-rule']!;
      expect([label, status, error.length <= 500]).toEqual([label, 'error', true]);
      expect(error).toContain(shown);
      expect(error).toEndWith('expected a boolean, a finite number, or null for no data');
      expect(notifications[0]!.error).toBe(error);
    }
  });

  test('a thrown value that resists reading is still a short error; the other rules still run', () => {
    const messageThrows = new Error('x');
    Object.defineProperty(messageThrows, 'message', { get: () => { throw new Error('getter'); } });
    const prototypeThrows = new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } });
    const thrown: Array<[string, unknown, string]> = [
      ['an Error of 5 MB', new Error('m'.repeat(5e6)), 'Error: mmm'],
      ['a message getter that throws', messageThrows, 'object (unreadable)'],
      ['a null-prototype object', Object.create(null), 'thrown: [object Object]'],
      ['a Proxy whose getPrototypeOf throws', prototypeThrows, 'thrown: object (unreadable)'],
      ['a string', 'boom', 'thrown: boom'],
    ];
    for (const [label, value, shown] of thrown) {
      const throwing: AlertRule = { ...notFound, id: 'broken', customEvaluator: () => { throw value; } };
      const always: AlertRule = { ...notFound, id: 'always', customEvaluator: () => true };
      const result = evaluateRules([throwing, always], empty, {}, T0);
      expect([label, result.states.broken!.status, result.states.always!.status]).toEqual([label, 'error', 'firing']);
      expect(result.states.broken!.error!.length).toBeLessThanOrEqual(500);
      expect(result.states.broken!.error).toContain(shown);
    }
  });

  test('a rejecting async evaluator raises no unhandledRejection in the host (review: it did, every evaluation)', async () => {
    // A child Bun: an unhandled rejection there ends it with an error, as it ends apps that exit on one.
    const script = `
      import { evaluateRules } from ${JSON.stringify(new URL('../../../src/core/alerts/evaluate-rules.ts', import.meta.url).pathname)};
      const base = { name: 'R', enabled: true, metric: 'custom', condition: 'gt', threshold: 0, severity: 'warning' };
      const rejecting = { then: (_: unknown, reject: (e: Error) => void) => queueMicrotask(() => reject(new Error('thenable rejected'))) };
      const thenThrows = { then: () => { throw new Error('then threw'); } };
      const thenGetterThrows = { get then() { throw new Error('getter threw'); } };
      const rules = [
        { ...base, id: 'async', customEvaluator: async () => { throw new Error('async rejected'); } },
        { ...base, id: 'rejected', customEvaluator: () => Promise.reject(new Error('rejected')) },
        { ...base, id: 'thenable', customEvaluator: () => rejecting },
        { ...base, id: 'then-throws', customEvaluator: () => thenThrows },
        { ...base, id: 'getter-throws', customEvaluator: () => thenGetterThrows },
      ];
      const empty = { cells: [], profiles: [], samples: [], lastSeen: {} };
      const { states } = evaluateRules(rules, empty, {}, Date.now());
      await Bun.sleep(50);
      console.log(JSON.stringify(Object.fromEntries(Object.entries(states).map(([id, s]) => [id, s.error]))));
    `;
    const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
    const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
    expect(err).not.toContain('rejected');
    expect(code).toBe(0);
    const errors = JSON.parse(out) as Record<string, string>;
    for (const id of ['async', 'rejected', 'thenable', 'then-throws']) expect(errors[id]).toStartWith('customEvaluator returned a Promise (evaluators must be synchronous)');
    expect(errors['getter-throws']).toStartWith('customEvaluator returned object [object Object] {then}');
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

describe('a requestRate while its window began before counting did', () => {
  // Counting began 3 s ago (in-process: when alerting started). Over those 3 s, 60 requests had read
  // "20 req/s" and paged at a deploy's warm-up (a review); a fall below a threshold can't be judged yet.
  const now = Date.UTC(2026, 10, 26, 12, 0, 30);
  /** The window of a 1 min rule at `now`: from the minute of 60 s before (11:59) to now, 90 s. */
  const windowSeconds = 90;
  const data = (requests: number, since?: number): AlertData => {
    const table = new RollupTable();
    for (let i = 0; i < requests; i++) table.record(now - 2_000, 'GET', '/ok', 200, 5, 0);
    return { cells: table.cellsNow().map(toWire), profiles: [], samples: [], lastSeen: {}, ...(since === undefined ? {} : { since }) };
  };
  const rule: AlertRule = { id: 'rr', name: 'Traffic spike', metric: 'requestRate', condition: 'gt', threshold: 1, severity: 'warning', duration: 60_000 };

  test('a rise is read over the whole window: a warm-up burst under its count does not fire, one past it does, said over the rule\'s window', () => {
    const burst = evaluateRule(rule, data(60, now - 3_000), undefined, now);
    expect(burst.state.value).toBeCloseTo(60 / windowSeconds, 9);
    expect(burst.notifications).toEqual([]);
    const flood = evaluateRule(rule, data(200, now - 3_000), undefined, now);
    expect(flood.notifications.map((n) => [n.message, n.window])).toEqual([['Traffic spike: request rate is 2.22 req/s (> 1 req/s, last 1 min)', 60_000]]);
  });

  test('a fall is not judged until the window is covered (the rule holds, whatever noData says), then read as ever', () => {
    const drop: AlertRule = { ...rule, id: 'drop', name: 'Traffic drop', condition: 'lt', threshold: 5 };
    const early = evaluateRule(drop, data(60, now - 3_000), undefined, now);
    expect([early.state.value, early.notifications]).toEqual([null, []]);
    // Not "no data came": a rule that pages on no data holds too (it had paged at every start, "request rate is no data").
    for (const condition of ['lt', 'lte', 'eq'] as const) {
      const paging = evaluateRule({ ...drop, condition, noData: 'alerting' }, data(60, now - 3_000), undefined, now);
      expect([paging.state.status, paging.notifications]).toEqual(['inactive', []]);
    }
    const covered = evaluateRule(drop, data(60, now - 10 * 60_000), undefined, now);
    expect(covered.state.value).toBeCloseTo(60 / windowSeconds, 9);
    expect(covered.notifications.map((n) => n.state)).toEqual(['firing']);
  });
});
