// The engine both hosts run, over the in-memory store: one evaluation step committed whole and
// routed by channel filters, the data window asked of the source, active alerts, manual resolve,
// rule removal, and a state whose rule disappeared from the host's configuration.
import { describe, expect, test } from 'bun:test';
import type { AlertSample } from '../../../src/core/alerts/alert-data.ts';
import { AlertEngine, type DataRequest, type NamedChannel } from '../../../src/core/alerts/alert-engine.ts';
import { MemoryAlertStore, type AlertChange, type AlertStore, type RoutedNotification, type StoredRuleState } from '../../../src/core/alerts/alert-store.ts';
import type { AlertRule } from '../../../src/core/alerts/rule.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const MIN = 60_000;

/** Fires while the window holds more than `threshold` 5xx records. */
function errorsRule(id: string, severity: AlertRule['severity'], extra: Partial<AlertRule> = {}): AlertRule {
  return {
    id, name: `Errors ${id}`, metric: 'custom', condition: 'gt', threshold: 2, severity, duration: 5 * MIN,
    customEvaluator: (metrics) => metrics.filter((m) => m.statusCode >= 500).length,
    ...extra,
  };
}

function errors(count: number, at: number): AlertSample[] {
  return Array.from({ length: count }, (_, i) => ({ timestamp: at - 1000 * (i + 1), method: 'GET', path: '/pay', statusCode: 503, responseTime: 12 }));
}

const CHANNELS: NamedChannel[] = [
  { name: 'pager', channel: { type: 'webhook', config: { url: 'https://pager.example/hook' }, filters: { severities: ['critical'] } } },
  { name: 'chat', channel: { type: 'slack', config: { url: 'https://hooks.example/x' } } },
  { name: 'off', channel: { type: 'slack', enabled: false, config: { url: 'https://hooks.example/y' } } },
];

function setup(channels: () => readonly NamedChannel[] = () => CHANNELS) {
  const delivered: RoutedNotification[][] = [];
  const store = new MemoryAlertStore({ maxNotifications: 100, deliver: (routed) => delivered.push([...routed]) });
  const engine = new AlertEngine({ store, context: () => ({ app: 'shop' }), channels });
  let samples: AlertSample[] = [];
  const requests: DataRequest[] = [];
  const evaluate = (now: number) => engine.evaluate(now, (request) => {
    requests.push(request);
    return { cells: [], profiles: [], samples, lastSeen: {} };
  });
  return { store, engine, delivered, requests, evaluate, setSamples: (list: AlertSample[]) => (samples = list) };
}

describe('AlertEngine', () => {
  test('an evaluation commits states and routes each notification to the channels whose filters take it', () => {
    const { store, delivered, requests, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay-critical', 'critical'));
    store.putRule(errorsRule('pay-info', 'info', { duration: 2 * MIN }));
    setSamples(errors(3, T0));
    const produced = evaluate(T0);
    expect(produced.map((n) => `${n.ruleId}:${n.state}:${n.app}`)).toEqual(['pay-critical:firing:shop', 'pay-info:firing:shop']);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.map(({ notification, channels }) => [notification.ruleId, channels])).toEqual([['pay-critical', ['pager', 'chat']], ['pay-info', ['chat']]]);
    expect(store.history().map((n) => n.key)).toEqual(produced.map((n) => n.key));
    expect([...store.states().values()].map(({ state }) => [state.ruleId, state.status, state.value])).toEqual([['pay-critical', 'firing', 3], ['pay-info', 'firing', 3]]);
    // The source was asked for the longest window (5 min, from the start of its minute) and for samples.
    expect(requests[0]).toEqual({ now: T0, since: T0 - 5 * MIN, profilesSince: T0, samplesSince: T0 - 5 * MIN, anyRule: true });
  });

  test('with no rule the source is still asked (it forgets old data) but nothing is evaluated', () => {
    const { delivered, requests, evaluate } = setup();
    expect(evaluate(T0)).toEqual([]);
    expect(requests).toEqual([{ now: T0, since: T0, profilesSince: T0, samplesSince: null, anyRule: false }]);
    expect(delivered).toEqual([]);
  });

  test('active alerts, and a manual resolve that notifies once and holds the rule quiet', () => {
    const { store, engine, delivered, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical'));
    setSamples(errors(4, T0));
    evaluate(T0);
    const [active] = engine.activeAlerts();
    expect(active).toMatchObject({ ruleId: 'pay', state: 'firing', value: 4, app: 'shop' });
    expect(engine.resolveAlert('no-such-alert', T0 + MIN)).toBeNull();
    const resolved = engine.resolveAlert(active!.id, T0 + MIN);
    expect(resolved).toMatchObject({ id: active!.id, state: 'resolved', resolvedBy: 'manual' });
    expect(delivered.at(-1)!.map(({ notification, channels }) => [notification.state, channels])).toEqual([['resolved', ['pager', 'chat']]]);
    expect(engine.activeAlerts()).toEqual([]);
    // The condition still holds: no new alert until it clears once.
    setSamples(errors(4, T0 + 2 * MIN));
    expect(evaluate(T0 + 2 * MIN)).toEqual([]);
    expect(engine.resolveAlert(active!.id, T0 + 3 * MIN)).toBeNull();
  });

  test('a firing alert whose rule\'s severity is edited resolves to the channels its firing went to', () => {
    const routed = (delivered: RoutedNotification[][]) => delivered.flat().map(({ notification: n, channels }) => [n.state, n.severity, channels]);
    // Lowered while firing ("too noisy for paging"): the pager took the firing, so it takes the resolve.
    const lowered = setup();
    lowered.store.putRule(errorsRule('pay', 'critical'));
    lowered.setSamples(errors(3, T0));
    lowered.evaluate(T0);
    lowered.store.putRule(errorsRule('pay', 'warning'));
    lowered.setSamples([]);
    lowered.evaluate(T0 + MIN);
    expect(routed(lowered.delivered)).toEqual([['firing', 'critical', ['pager', 'chat']], ['resolved', 'critical', ['pager', 'chat']]]);
    // Raised while firing, then resolved by hand: the pager never took the firing, so it is not sent the resolve.
    const raised = setup();
    raised.store.putRule(errorsRule('cart', 'info'));
    raised.setSamples(errors(3, T0));
    raised.evaluate(T0);
    raised.store.putRule(errorsRule('cart', 'critical'));
    raised.engine.resolveAlert(raised.engine.activeAlerts()[0]!.id, T0 + MIN);
    expect(routed(raised.delivered)).toEqual([['firing', 'info', ['chat']], ['resolved', 'info', ['chat']]]);
    // Raised while firing, and announced again by a repeat (found by a review): the pager took the
    // repeat, so the resolve goes to it too.
    const repeated = setup();
    repeated.store.putRule(errorsRule('cart', 'info', { repeatInterval: 2 * MIN }));
    repeated.setSamples(errors(3, T0));
    repeated.evaluate(T0);
    repeated.store.putRule(errorsRule('cart', 'critical', { repeatInterval: 2 * MIN }));
    repeated.setSamples(errors(3, T0 + 2 * MIN));
    repeated.evaluate(T0 + 2 * MIN);
    repeated.setSamples([]);
    repeated.evaluate(T0 + 3 * MIN);
    expect(routed(repeated.delivered)).toEqual([['firing', 'info', ['chat']], ['firing', 'critical', ['pager', 'chat']], ['resolved', 'critical', ['pager', 'chat']]]);
    // Lowered, repeated, raised back, repeated: the resolve is labelled with the severity last announced.
    const back = setup();
    back.store.putRule(errorsRule('pay', 'critical', { repeatInterval: MIN }));
    back.setSamples(errors(3, T0));
    back.evaluate(T0);
    for (const [m, severity] of [[1, 'info'], [2, 'critical']] as const) {
      back.store.putRule(errorsRule('pay', severity, { repeatInterval: MIN }));
      back.setSamples(errors(3, T0 + m * MIN));
      back.evaluate(T0 + m * MIN);
    }
    back.setSamples([]);
    back.evaluate(T0 + 3 * MIN);
    expect(routed(back.delivered).at(-1)).toEqual(['resolved', 'critical', ['pager', 'chat']]);
  });

  test('a channel configured only after the firing is not sent its resolve; one gone since is not either (a review: a Slack URL fixed mid-alert got a RESOLVED of an alert it never saw)', () => {
    const chat = CHANNELS[1]!;
    const pager = CHANNELS[0]!;
    let now: NamedChannel[] = [pager];
    for (const end of ['resolved', 'by hand', 'removed'] as const) {
      now = [pager];
      const run = setup(() => now);
      const rule = errorsRule('pay', 'critical');
      run.store.putRule(rule);
      run.setSamples(errors(3, T0));
      run.evaluate(T0);
      now = [pager, chat];
      if (end === 'resolved') {
        run.setSamples([]);
        run.evaluate(T0 + 6 * MIN);
      } else if (end === 'by hand') run.engine.resolveAlert(run.engine.activeAlerts()[0]!.id, T0 + MIN);
      else run.engine.removeRule(rule, T0 + MIN);
      const sent = run.delivered.flat().map(({ notification, channels }) => [notification.state, channels]);
      expect([end, sent]).toEqual([end, [['firing', ['pager']], ['resolved', ['pager']]]]);
    }
    // Both reached; the pager removed since: the resolve goes to the chat alone.
    now = [pager, chat];
    const gone = setup(() => now);
    gone.store.putRule(errorsRule('pay', 'critical'));
    gone.setSamples(errors(3, T0));
    gone.evaluate(T0);
    now = [chat];
    gone.setSamples([]);
    gone.evaluate(T0 + 6 * MIN);
    expect(gone.delivered.flat().map(({ notification, channels }) => [notification.state, channels])).toEqual([['firing', ['pager', 'chat']], ['resolved', ['chat']]]);
  });

  test('email recipients changed between firing and resolve: one of several added later gets no resolve; between one and several every one does (a review of the change)', () => {
    const email = (name: string): NamedChannel => ({ name, channel: { type: 'email', config: { email: 'x@example.com' } } });
    const resolvedTo = (before: string[], after: string[]) => {
      let now = before.map(email);
      const run = setup(() => now);
      run.store.putRule(errorsRule('pay', 'critical'));
      run.setSamples(errors(3, T0));
      run.evaluate(T0);
      now = after.map(email);
      run.setSamples([]);
      run.evaluate(T0 + 6 * MIN);
      return run.delivered.flat().filter(({ notification }) => notification.state === 'resolved').flatMap(({ channels }) => channels);
    };
    expect(resolvedTo(['email:a', 'email:b'], ['email:a', 'email:c'])).toEqual(['email:a']);
    expect(resolvedTo(['email'], ['email:a', 'email:c'])).toEqual(['email:a', 'email:c']);
    expect(resolvedTo(['email:a', 'email:b'], ['email'])).toEqual(['email']);
  });

  test('a pending alert resolved by hand answers with its snapshot and notifies nobody', () => {
    const { store, engine, delivered, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical', { for: 10 * MIN }));
    setSamples(errors(4, T0));
    evaluate(T0);
    const pending = store.states().get('pay')!.state;
    expect(pending.status).toBe('pending');
    expect(engine.resolveAlert(pending.alertId!, T0 + MIN)).toMatchObject({ id: pending.alertId, state: 'resolved' });
    expect(delivered).toEqual([]);
  });

  test('removing a rule resolves its open alert ("rule removed") and takes rule and state out of the store', () => {
    const { store, engine, delivered, evaluate, setSamples } = setup();
    const rule = errorsRule('pay', 'info');
    store.putRule(rule);
    setSamples(errors(3, T0));
    evaluate(T0);
    expect(engine.removeRule(rule, T0 + MIN).map((n) => [n.state, n.resolvedBy])).toEqual([['resolved', 'rule removed']]);
    expect(delivered.at(-1)!.map(({ channels }) => channels)).toEqual([['chat']]);
    expect(store.rules()).toEqual([]);
    expect(store.states().size).toBe(0);
  });

  test('a state whose rule left the host\'s configuration closes its alert at the next evaluation', () => {
    // A store whose rules come from outside (as ALERT_RULES does at the edge).
    let rules: AlertRule[] = [errorsRule('pay', 'critical')];
    const states = new Map<string, StoredRuleState>();
    const changes: AlertChange[] = [];
    const store: AlertStore = {
      rules: () => rules,
      states: () => states,
      commit: (change) => {
        changes.push(change);
        for (const entry of change.states) states.set(entry.rule.id, entry);
        for (const id of change.dropped) states.delete(id);
      },
    };
    const engine = new AlertEngine({ store, context: () => ({}), channels: () => CHANNELS });
    const data = { cells: [], profiles: [], samples: errors(3, T0), lastSeen: {} };
    engine.evaluate(T0, () => data);
    rules = [];
    const closed = engine.evaluate(T0 + MIN, () => data);
    expect(closed.map((n) => [n.ruleId, n.state, n.resolvedBy])).toEqual([['pay', 'resolved', 'rule removed']]);
    expect(changes.at(-1)).toMatchObject({ now: T0 + MIN, states: [], dropped: ['pay'], evaluatedAt: T0 + MIN });
    expect(states.size).toBe(0);
  });

  test('a firing rule edited to measure something else resolves its alert as it was ("rule changed"); the new definition opens its own', () => {
    const { store, engine, delivered, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical', { description: 'Payments fail' }));
    setSamples(errors(3, T0));
    const [firing] = evaluate(T0);
    store.putRule(errorsRule('pay', 'critical', { threshold: 5, name: 'Errors pay (tight)' }));
    // Until the next evaluation the open alert is still shown as it was opened.
    expect(engine.activeAlerts().map((a) => [a.id, a.threshold])).toEqual([[firing!.id, 2]]);
    store.putRule(errorsRule('pay', 'critical', { threshold: 1, name: 'Errors pay (tight)' }));
    setSamples(errors(3, T0 + MIN));
    const next = evaluate(T0 + MIN);
    expect(next.map((n) => [n.id, n.state, n.resolvedBy, n.threshold, n.ruleName, n.description])).toEqual([
      [firing!.id, 'resolved', 'rule changed', 2, 'Errors pay', 'Payments fail'],
      [`pay-${T0 + MIN}`, 'firing', undefined, 1, 'Errors pay (tight)', undefined],
    ]);
    expect(next[0]!.message).toBe('Errors pay: resolved (rule changed)');
    // The resolve goes where its firing went.
    expect(delivered.at(-1)!.map(({ notification, channels }) => [notification.state, channels])).toEqual([['resolved', ['pager', 'chat']], ['firing', ['pager', 'chat']]]);
    // A change of name, severity or reminders only keeps the alert open.
    store.putRule(errorsRule('pay', 'warning', { threshold: 1, name: 'Renamed', repeatInterval: 10 * MIN }));
    setSamples(errors(3, T0 + 2 * MIN));
    expect(evaluate(T0 + 2 * MIN)).toEqual([]);
    expect(engine.activeAlerts().map((a) => a.id)).toEqual([`pay-${T0 + MIN}`]);
  });

  test('a pending alert of a changed rule starts over under the new definition, announcing nothing', () => {
    const { store, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical', { for: 5 * MIN }));
    setSamples(errors(3, T0));
    evaluate(T0);
    store.putRule(errorsRule('pay', 'critical', { for: 5 * MIN, duration: 10 * MIN }));
    setSamples(errors(3, T0 + MIN));
    expect(evaluate(T0 + MIN)).toEqual([]);
    expect(store.states().get('pay')!.state).toMatchObject({ status: 'pending', alertId: `pay-${T0 + MIN}`, pendingSince: T0 + MIN });
  });

  test('a changed rule is a new definition: the retired alert\'s cooldown does not hold back the new alert\'s firing', () => {
    const { store, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical', { cooldown: 10 * MIN }));
    setSamples(errors(3, T0));
    const [firing] = evaluate(T0);
    store.putRule(errorsRule('pay', 'critical', { cooldown: 10 * MIN, threshold: 1 }));
    setSamples(errors(3, T0 + MIN));
    expect(evaluate(T0 + MIN).map((n) => [n.id, n.state, n.resolvedBy])).toEqual([
      [firing!.id, 'resolved', 'rule changed'],
      [`pay-${T0 + MIN}`, 'firing', undefined],
    ]);
  });

  test('removing a rule edited since its alert opened resolves the alert as it was opened', () => {
    const { store, engine, evaluate, setSamples } = setup();
    store.putRule(errorsRule('pay', 'critical', { description: 'Payments fail' }));
    setSamples(errors(3, T0));
    const [firing] = evaluate(T0);
    const edited = errorsRule('pay', 'critical', { threshold: 5, name: 'Errors pay (tight)' });
    store.putRule(edited);
    expect(engine.removeRule(edited, T0 + MIN).map((n) => [n.id, n.state, n.resolvedBy, n.threshold, n.ruleName, n.description])).toEqual([
      [firing!.id, 'resolved', 'rule removed', 2, 'Errors pay', 'Payments fail'],
    ]);
  });
});
