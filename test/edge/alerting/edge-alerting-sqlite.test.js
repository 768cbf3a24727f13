// The edge's alerting put together (rule catalog, engine over the SQLite store, tick, outbox,
// transport) driven in Bun over bun:sqlite through the store's Sql seam, with the AppStore's real
// migrations and ingest, and a real local receiver: a precise, fast failure beside the workerd
// scenarios. Plain JS: the Bun-side typecheck must not follow it into the Worker's sources.
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import { RollupTable } from '../../../src/core/rollup.ts';
import { readAlertConfig } from '../../../src/edge/alerting/alert-config.ts';
import { defineAlerts } from '../../../src/edge/alerting/code-rules.ts';
import { EdgeAlerting } from '../../../src/edge/alerting/edge-alerting.ts';
import { ingestBatch } from '../../../src/edge/store/ingest-batch.ts';
import { InstanceGuard } from '../../../src/edge/store/instance-guard.ts';
import { migrate } from '../../../src/edge/store/migrations.ts';
import { RouteGuard } from '../../../src/edge/store/route-guard.ts';
import { bunSql } from '../support/bun-sql.ts';
import { startReceiver } from './support.ts';

const MIN = 60_000;
const M0 = Date.UTC(2026, 10, 28, 8, 0, 0);
const receiver = startReceiver({ '/hook': [] });
afterAll(() => receiver.stop());

/** One app's alerting over a fresh database, ALERT_RULES and one webhook (or the vars and email sender given). */
function edgeAlerting(rules, codeRules = defineAlerts({ rules: [] }), vars = { WEBHOOK_URL: receiver.url('/hook') }, sendEmail = undefined) {
  const sql = bunSql(new Database(':memory:'));
  migrate(sql);
  const env = { ALERT_RULES: JSON.stringify(rules), BUN_APM_DEV: 'true', ...vars };
  const alerting = new EdgeAlerting({ sql, app: () => 'shop', codeRules, config: () => readAlertConfig({ ...env }), sendEmail });
  const guards = { routes: new RouteGuard(sql, 100), instances: new InstanceGuard(sql, 100) };
  /** `count` GET /slow requests of `ms` each in the minute starting at `minute`. */
  const ingest = (minute, ms, count = 20) => {
    const table = new RollupTable();
    for (let i = 0; i < count; i++) table.record(minute + 1000 + i * 100, 'GET', '/slow', 200, ms, 100, false);
    const batch = {
      version: 1, batchId: `sqlite-${minute}-${ms}-${Math.random()}`, window: { start: minute, end: minute + MIN },
      identity: { app: 'shop', service: 'api', instance: 'host-a:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
      rollups: table.drain(), samples: [], spans: [], profiles: [], dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
    };
    expect(ingestBatch({ sql, ...guards, minuteRetentionMs: 48 * 60 * MIN, tenSecondRetentionMs: 3 * 60 * MIN, tenSecondRoutes: false }, batch, minute + MIN).status).toBe('accepted');
    alerting.cellsChanged([minute]);
  };
  return { sql, alerting, ingest, env };
}

/** Alerting by email to ALERT_EMAIL_TO; `refused` addresses are refused as send_email refuses an unverified one. */
function emailAlerting(to, refused) {
  const sent = [];
  const sendEmail = async (_from, address, raw) => {
    if (refused.has(address)) throw new Error(`email to ${address} not allowed`);
    sent.push(`${address} ${/FIRING|RESOLVED/.exec(raw)?.[0]}`);
  };
  return { sent, ...edgeAlerting([SLOW], undefined, { ALERT_EMAIL_TO: to, ALERT_EMAIL_FROM: 'alerts@example.com' }, sendEmail) };
}

const hook = () => receiver.at('/hook').map((r) => JSON.parse(r.body));
const SLOW = { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 300, severity: 'warning', duration: 60_000 };

describe('ALERT_EMAIL_TO edited while a recipient\'s firing is retried (found by a review)', () => {
  test('reordered: each recipient still gets the firing once, its own', async () => {
    const refused = new Set(['b@example.com']);
    const { sent, env, alerting, ingest } = emailAlerting('a@example.com, b@example.com', refused);
    ingest(M0, 900);
    ingest(M0 + MIN, 900);
    await alerting.tick(M0 + MIN); // firing: a gets it, b is refused and retried
    refused.clear();
    env.ALERT_EMAIL_TO = 'b@example.com, a@example.com';
    for (let m = 2; m <= 3; m++) await alerting.tick(M0 + m * MIN);
    expect(sent.filter((line) => line.endsWith('FIRING')).sort()).toEqual(['a@example.com FIRING', 'b@example.com FIRING']);
  });

  test('an address listed twice, in any case, is sent one message', async () => {
    const { sent, alerting, ingest } = emailAlerting('ops@example.com, OPS@example.com', new Set());
    ingest(M0, 900);
    await alerting.tick(M0 + MIN);
    expect(sent).toEqual(['ops@example.com FIRING']);
  });

  test('a second recipient added: the first one\'s retried firing still reaches it, before its resolve', async () => {
    const refused = new Set(['a@example.com']);
    const { sent, env, alerting, ingest } = emailAlerting('a@example.com', refused);
    ingest(M0, 900);
    await alerting.tick(M0 + MIN); // firing: refused (a send limit, say), retried later
    refused.clear();
    env.ALERT_EMAIL_TO = 'a@example.com, b@example.com';
    for (let m = 2; m <= 6; m++) await alerting.tick(M0 + m * MIN);
    // The row written for the one recipient goes to both now, as it would have; then each resolve.
    expect(sent.indexOf('a@example.com FIRING')).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf('a@example.com FIRING')).toBeLessThan(sent.indexOf('a@example.com RESOLVED'));
    expect(sent.filter((line) => line.startsWith('a@')).length).toBe(2);
  });
});

describe('edge alerting over SQLite', () => {
  test('a tick evaluates once per scheduled time and delivers before it returns', async () => {
    receiver.received.length = 0;
    const { alerting, ingest } = edgeAlerting([SLOW]);
    ingest(M0, 900);
    expect(await alerting.tick(M0 + MIN)).toEqual({ evaluated: true, notifications: 1, delivered: 1, failed: 0 });
    expect(await alerting.tick(M0 + MIN)).toEqual({ evaluated: false, notifications: 0, delivered: 0, failed: 0 });
    expect(hook().map((b) => [b.ruleId, b.state, b.app, Math.round(b.value)])).toEqual([['slow', 'firing', 'shop', 900]]);
    const view = alerting.alerts();
    expect(view.active.map((a) => a.ruleId)).toEqual(['slow']);
    expect(view.history[0].deliveries).toEqual([{ channel: 'webhook', status: 'sent', attempts: 1, lastError: null }]);
  });

  test('removing an API rule notifies its resolve before the call returns', async () => {
    receiver.received.length = 0;
    const { alerting, ingest } = edgeAlerting([]);
    expect(alerting.addRule({ ...SLOW, id: 'api-slow' }, M0).ok).toBe(true);
    ingest(M0, 900);
    await alerting.tick(M0 + MIN);
    const removed = await alerting.removeRule('api-slow', M0 + MIN + 5_000);
    expect(removed).toMatchObject({ ok: true, rule: { id: 'api-slow', source: 'api' } });
    expect(hook().map((b) => `${b.ruleId}:${b.state}:${b.resolvedBy ?? ''}`)).toEqual(['api-slow:firing:', 'api-slow:resolved:rule removed']);
    expect(alerting.rules()).toEqual([]);
    expect(await alerting.removeRule('api-slow', M0 + 2 * MIN)).toMatchObject({ ok: false, status: 404 });
  });

  test('an API rule whose id ALERT_RULES took later is listed as shadowed and can still be deleted; the config rule and its alert stay (found by a review)', async () => {
    receiver.received.length = 0;
    const { alerting, ingest, env } = edgeAlerting([]);
    expect(alerting.addRule({ ...SLOW, threshold: 5_000 }, M0).ok).toBe(true);
    env.ALERT_RULES = JSON.stringify([SLOW]); // the operator moves the rule into the config, same id
    ingest(M0, 900);
    await alerting.tick(M0 + MIN);
    // Listed after the rules evaluated, marked, so that it can be found (it counts against the 500).
    expect(alerting.rules().map((r) => [r.id, r.source, r.threshold, r.shadowedBy])).toEqual([['slow', 'config', 300, undefined], ['slow', 'api', 5_000, 'ALERT_RULES']]);
    expect(await alerting.removeRule('slow', M0 + MIN + 5_000)).toMatchObject({ ok: true, rule: { id: 'slow', source: 'api', threshold: 5_000 } });
    // Only the hidden API copy went: the config rule still fires, and nothing was resolved.
    expect(alerting.alerts().active.map((a) => a.ruleId)).toEqual(['slow']);
    expect(hook().map((b) => b.state)).toEqual(['firing']);
    expect(alerting.rules().map((r) => [r.id, r.source])).toEqual([['slow', 'config']]);
    expect(await alerting.removeRule('slow', M0 + 2 * MIN)).toMatchObject({ ok: false, status: 409 });
  });

  test('a manual resolve is delivered before the call returns; an unknown id changes nothing', async () => {
    receiver.received.length = 0;
    const { alerting, ingest } = edgeAlerting([SLOW]);
    ingest(M0, 900);
    await alerting.tick(M0 + MIN);
    const [active] = alerting.alerts().active;
    expect(await alerting.resolveAlert('slow-0', M0 + 2 * MIN)).toBeNull();
    expect(await alerting.resolveAlert(active.id, M0 + 2 * MIN)).toMatchObject({ id: active.id, state: 'resolved', resolvedBy: 'manual' });
    expect(hook().map((b) => b.state)).toEqual(['firing', 'resolved']);
  });

  test('code rules come from the value handed in: two stores, two sets of rules, nothing shared', async () => {
    const west = defineAlerts({ rules: [{ id: 'code-a', name: 'A', metric: 'custom', condition: 'gt', threshold: 0, severity: 'info', customEvaluator: () => 1 }] });
    const bad = defineAlerts({ rules: [{ id: 'code-b', name: 'B', metric: 'custom', condition: 'gt', threshold: 0, severity: 'info' }] });
    const a = edgeAlerting([SLOW], west).alerting;
    const none = edgeAlerting([SLOW]).alerting;
    expect(a.rules().map((r) => [r.id, r.source, 'customEvaluator' in r])).toEqual([['code-a', 'code', false], ['slow', 'config', false]]);
    expect(none.rules().map((r) => r.id)).toEqual(['slow']);
    expect(a.updateRule('code-a', { threshold: 1 }, M0)).toMatchObject({ ok: false, status: 409, code: 'rule_from_config' });
    // A rule of alerts.config.ts that does not validate is left out and named; the store's other rules run on.
    expect(edgeAlerting([SLOW], bad).alerting.rules().map((r) => r.id)).toEqual(['slow']);
    expect(bad.problemsFor('shop')).toEqual([expect.stringMatching(/^rules in code: rule 'code-b': left out: customEvaluator: required/)]);
    // A rule meant for some apps only is named to those apps only.
    const scoped = defineAlerts({ rules: [{ id: 'shop-only', name: 'S', metric: 'custom', condition: 'gt', threshold: 0, severity: 'info', apps: ['shop'] }] });
    expect(scoped.problemsFor('shop')).toHaveLength(1);
    expect(scoped.problemsFor('blog')).toEqual([]);
    expect(none.rules()).toHaveLength(1);
  });
});
