// A mistake in the alerting configuration leaves out only what it touches. A SLACK_WEBHOOK_URL
// without its scheme, or one ALERT_RULES entry with a severity of "warn", once made every ingest
// answer 500 (after storing the batch: the client dropped it as refused), the dashboard and the
// rules API answer 500, and no rule run: now ingest, the dashboard and the other rules and channels
// run on, and the rules and alerts API name what was left out, without a secret's value.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { RollupTable } from '../../../src/core/rollup.ts';
import { makeBatch } from '../../support/batch.ts';
import { KEYS, api, ingest, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, startReceiver } from './support.ts';

const DASHBOARD_KEY = 'dash-key-config-problems-0123';
const SLACK_SECRET = 'hooks.slack.com/services/T000/B000/secretpart';
const ERRORS = { id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'critical' };
const BAD = { id: 'bad', name: 'Bad', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'warn' };
const receiver = startReceiver();
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({
    bindings: {
      // Every app gets `errors`; shop's own list holds the bad rule, which blog must not see named.
      ALERT_RULES: JSON.stringify({ '*': [ERRORS], shop: [BAD] }),
      SLACK_WEBHOOK_URL: SLACK_SECRET,
      // Past the var's 2,048 characters: named, its value (a URL may carry a token) not repeated.
      DASHBOARD_URL: `https://dash.example/${'tokenpart'.repeat(300)}`,
      WEBHOOK_URL: receiver.url('/hook'),
      BUN_APM_DEV: 'true',
      DASHBOARD_API_KEY: DASHBOARD_KEY,
      SESSION_SECRET: 'session-secret-config-problems-0123',
    },
  });
  await cronFirst(edge, minuteAgo(10));
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

/** `count` requests of GET /boom in the minute starting at `minute`, every one a 500. */
function failingMinute(minute: number, count: number) {
  const table = new RollupTable();
  for (let i = 0; i < count; i++) table.record(minute + 1_000 + i * 100, 'GET', '/boom', 500, 2, 0, false);
  return { ...makeBatch(minute + 5_000), rollups: table.drain(), samples: [], spans: [], profiles: [] };
}

describe('a bad channel var and a bad rule', () => {
  test('ingest is accepted and stored', async () => {
    const batch = makeBatch();
    const response = await ingest(edge, batch);
    expect(response.status).toBe(202);
    const sent = batch.rollups.reduce((sum, cell) => sum + cell.count, 0);
    const summary = await api(edge, `/api/v1/apps/shop/summary?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
    expect(summary.body.requests).toBe(sent);
  });

  test('the rules API lists the rules that validated and names what was left out, without the secret', async () => {
    const { status, body } = await api(edge, '/api/v1/apps/shop/rules');
    expect(status).toBe(200);
    expect(body.rules.map((rule: any) => rule.id)).toEqual(['errors']);
    expect(body.configProblems).toEqual([
      "ALERT_RULES.shop[0] (rule 'bad'): left out: severity: expected one of info, warning, critical",
      'SLACK_WEBHOOK_URL: left out: config.url: expected a https: or http: URL',
      'dashboardUrl (var DASHBOARD_URL): expected a URL',
    ]);
    expect(JSON.stringify(body)).not.toContain('secretpart');
    expect(JSON.stringify(body)).not.toContain('tokenpart');
  });

  test('another app is not told of shop\'s rules', async () => {
    const { body } = await api(edge, '/api/v1/apps/blog/alerts', KEYS.blogRead);
    expect(body.configProblems).toHaveLength(2);
    expect(body.configProblems.join('\n')).not.toContain('ALERT_RULES.shop');
  });

  test('the dashboard answers, and its alerts panel names what was left out', async () => {
    const page = await fetch(new URL('/performance?app=shop', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Settings the edge could not use: 3 problems, each left out; the rest of its settings and of alerting runs.');
    expect(html).toContain('<li>ALERT_RULES.shop[0] (rule &#39;bad&#39;): left out: severity: expected one of info, warning, critical</li>');
    expect(html).not.toContain('tokenpart');
    // The panel's own refresh says it too.
    const fragment = await fetch(new URL('/performance/fragments/alerts?app=shop', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY, 'hx-request': 'true' } });
    expect(fragment.status).toBe(200);
    expect(await fragment.text()).toContain('<li>SLACK_WEBHOOK_URL: left out: config.url: expected a https: or http: URL</li>');
  });

  test('the rule that validated fires, through the channel that validated', async () => {
    const minute = minuteAgo(8);
    const response = await ingest(edge, failingMinute(minute, 40));
    expect(response.status).toBe(202);
    await cron(edge, minute + MINUTE);
    const hooks = receiver.at('/hook').map((r) => JSON.parse(r.body));
    expect(hooks.map((h) => [h.ruleId ?? h.rule?.id, h.state])).toContainEqual(['errors', 'firing']);
    const alerts = await api(edge, '/api/v1/apps/shop/alerts');
    expect(alerts.body.active.map((a: any) => a.ruleId)).toEqual(['errors']);
    expect(alerts.body.configProblems).toHaveLength(3);
  });
});
