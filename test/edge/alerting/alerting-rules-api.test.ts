// The rules and alerts API: readable with a read key, changed only with ADMIN_API_KEY; bad input
// names its field and changes nothing. And what a deployed Worker refuses to send to.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';
import { minuteAgo } from '../support/minutes.ts';

const CONFIG_RULE = { id: 'from-config', name: 'From config', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'warning' };
const receiver = startReceiver({ '/moved': [302] });
let edge: LocalEdge;
let deployed: LocalEdge;

beforeAll(async () => {
  [edge, deployed] = await Promise.all([
    startEdge({ bindings: { ALERT_RULES: JSON.stringify([CONFIG_RULE]), BUN_APM_DEV: 'true', SLACK_WEBHOOK_URL: receiver.url('/moved') } }),
    // The production entry without BUN_APM_DEV: http:// receivers are refused.
    startEdge({ entry: 'production', bindings: { SLACK_WEBHOOK_URL: receiver.url('/plain-http') } }),
  ]);
  await Promise.all([cronFirst(edge, minuteAgo(25)), cronFirst(deployed, minuteAgo(25))]);
});

afterAll(async () => {
  await edge?.dispose();
  await deployed?.dispose();
  receiver.stop();
});

async function send(method: string, path: string, key: string | null, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['x-api-key'] = key;
  // A fresh connection each time: Bun does not retry a POST on a kept-alive socket workerd has closed.
  const response = await fetch(new URL(path, edge.url), { method, headers, keepalive: false, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const RULE = { id: 'checkout-p95', name: 'Checkout p95', metric: 'p95', route: '/checkout', condition: 'gt', threshold: 800, severity: 'critical', duration: 300_000 };
const rulesOf = async (key = KEYS.shopRead) => (await api(edge, '/api/v1/apps/shop/rules', key)).body.rules as any[];

describe('rules API', () => {
  test('config rules are listed with their source, readable with a read key', async () => {
    const { status, body } = await api(edge, '/api/v1/apps/shop/rules');
    expect(status).toBe(200);
    expect(body).toEqual({ app: 'shop', rules: [{ ...CONFIG_RULE, source: 'config' }], configProblems: [] });
  });

  test('adding a rule takes the admin key', async () => {
    expect((await send('POST', '/api/v1/apps/shop/rules', null, RULE)).status).toBe(401);
    expect((await send('POST', '/api/v1/apps/shop/rules', KEYS.shopRead, RULE)).status).toBe(403);
    expect((await send('POST', '/api/v1/apps/shop/rules', KEYS.allRead, RULE)).status).toBe(403);
    expect((await send('POST', '/api/v1/apps/nope/rules', KEYS.admin, RULE)).status).toBe(404);
    expect(await rulesOf()).toHaveLength(1);
    const created = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, RULE);
    // No request has had /checkout yet: taken, with a warning saying so.
    expect(created).toEqual({ status: 201, body: { rule: { ...RULE, source: 'api' }, warnings: [expect.stringMatching(/^route '\/checkout' has had no requests yet/)] } });
    expect((await rulesOf()).map((r) => [r.id, r.source])).toEqual([['from-config', 'config'], ['checkout-p95', 'api']]);
    // Another app's read key sees nothing of shop.
    expect((await api(edge, '/api/v1/apps/shop/rules', KEYS.blogRead)).status).toBe(404);
    expect((await api(edge, '/api/v1/apps/blog/rules', KEYS.blogRead)).body.rules.map((r: any) => r.source)).toEqual(['config']);
  });

  test('bad input: 400 or 422 naming the field, nothing stored changes', async () => {
    const before = await rulesOf();
    const notJson = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, '{"id":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    const bad = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, { ...RULE, id: 'other', threshold: 'high', metric: 'errorRate', severity: 'loud' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.problems.map((p: any) => p.field).sort()).toEqual(['severity', 'threshold']);
    expect((await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, RULE)).status).toBe(409);
    expect((await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, { ...CONFIG_RULE })).status).toBe(409);
    const custom = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, { ...RULE, id: 'custom', metric: 'custom', route: undefined });
    expect(custom.status).toBe(422);
    expect(custom.body.error.message).toContain('customEvaluator');
    const badPatch = await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin, { duration: -5 });
    expect(badPatch.status).toBe(422);
    expect(badPatch.body.error.problems[0].field).toBe('duration');
    expect((await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin, { id: 'renamed' })).body.error.problems[0].field).toBe('id');
    expect((await send('PATCH', '/api/v1/apps/shop/rules/from-config', KEYS.admin, { threshold: 0.1 })).status).toBe(409);
    expect((await send('PATCH', '/api/v1/apps/shop/rules/missing', KEYS.admin, { threshold: 1 })).status).toBe(404);
    // Nested 30,000 deep inside the 64 KiB cap (fuzz corpus: it overflowed the stack on its way to the store, a 500).
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    for (const [method, path, body] of [
      ['POST', '/api/v1/apps/shop/rules', deep],
      ['POST', '/api/v1/apps/shop/rules', `{"id":"deep","description":${'['.repeat(20_000)}${']'.repeat(20_000)}}`],
      ['PATCH', '/api/v1/apps/shop/rules/checkout-p95', `{"name":${deep}}`],
    ] as const) {
      const refused = await send(method, path, KEYS.admin, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'invalid_json', message: expect.stringContaining('nested deeper than 8 levels') });
    }
    expect(await rulesOf()).toEqual(before);
  });

  test('changing and removing a rule', async () => {
    expect((await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.shopRead, { threshold: 900 })).status).toBe(403);
    const patched = await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin, { threshold: 900, for: 120_000 });
    expect(patched.status).toBe(200);
    expect(patched.body.rule).toMatchObject({ id: 'checkout-p95', threshold: 900, for: 120_000, route: '/checkout' });
    expect((await rulesOf())[1].threshold).toBe(900);
    // null removes an optional field (the rule watches every route again); a required one stays required.
    const widened = await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin, { route: null, for: null });
    expect(widened.status).toBe(200);
    expect(widened.body.rule).not.toHaveProperty('route');
    expect(widened.body.rule).not.toHaveProperty('for');
    expect(widened.body.rule).toMatchObject({ id: 'checkout-p95', threshold: 900 });
    const noThreshold = await send('PATCH', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin, { threshold: null });
    expect(noThreshold.status).toBe(422);
    expect(noThreshold.body.error.problems[0].field).toBe('threshold');
    expect((await rulesOf())[1]).not.toHaveProperty('route');
    expect((await send('DELETE', '/api/v1/apps/shop/rules/checkout-p95', KEYS.shopRead)).status).toBe(403);
    expect((await send('DELETE', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin)).status).toBe(200);
    expect((await send('DELETE', '/api/v1/apps/shop/rules/checkout-p95', KEYS.admin)).status).toBe(404);
    expect((await send('DELETE', '/api/v1/apps/shop/rules/from-config', KEYS.admin)).status).toBe(409);
    expect((await rulesOf()).map((r) => r.id)).toEqual(['from-config']);
  });

  test('a rule added through the API fires on the next tick; a redirect is not followed but retried, naming its origin', async () => {
    const M0 = minuteAgo(20);
    expect((await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning' })).status).toBe(201);
    await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
    await cron(edge, M0 + MINUTE);
    expect(receiver.at('/moved')).toHaveLength(1);
    expect(receiver.at('/followed')).toHaveLength(0);
    const { body } = await api(edge, '/api/v1/apps/shop/alerts');
    expect(body.active.map((a: any) => a.ruleId)).toEqual(['slow']);
    // A proxy's or a maintenance page's redirect may pass: retried like a 5xx, the target's origin named (never a path or query).
    const origin = new URL(receiver.url('/')).origin;
    expect(body.history[0].deliveries).toEqual([{ channel: 'slack', status: 'pending', attempts: 1, lastError: `HTTP 302 to ${origin} (redirects are not followed)` }]);
    // The next minute has no data: the alert resolves; the firing goes again first, the resolve after it (the next pass).
    await cron(edge, M0 + 2 * MINUTE);
    await cron(edge, M0 + 3 * MINUTE);
    expect(receiver.at('/moved').map((r) => (r.body.includes('RESOLVED') ? 'resolved' : 'firing'))).toEqual(['firing', 'firing', 'resolved']);
    expect(receiver.at('/followed')).toHaveLength(0);
  });

  test('a late batch into a minute already evaluated is seen by the next tick', async () => {
    // Later than every tick before it in this file: a store evaluates each scheduled minute once, in order.
    const M0 = minuteAgo(15);
    const rule = { id: 'blog-slow', name: 'Blog slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning', duration: 300_000 };
    expect((await send('POST', '/api/v1/apps/blog/rules', KEYS.admin, rule)).status).toBe(201);
    await ingestMinute(edge, KEYS.blogIngest, 'blog', M0, 10);
    await cron(edge, M0 + MINUTE);
    expect((await api(edge, '/api/v1/apps/blog/alerts', KEYS.blogRead)).body.active).toEqual([]);
    // The same minute again, now slow: the average of the window goes over 100 ms.
    await ingestMinute(edge, KEYS.blogIngest, 'blog', M0, 900);
    await cron(edge, M0 + 2 * MINUTE);
    const { body } = await api(edge, '/api/v1/apps/blog/alerts', KEYS.blogRead);
    expect(body.active.map((a: any) => [a.ruleId, a.value])).toEqual([['blog-slow', 455]]);
  });

  test('an ALERT_RULES entry that does not validate is left out and named; the others run (config-problems.test.ts has the rest)', async () => {
    const broken = await startEdge({ bindings: { ALERT_RULES: JSON.stringify([{ ...CONFIG_RULE, threshold: 2 }, { ...CONFIG_RULE, id: 'fine' }]) } });
    try {
      const { status, body } = await api(broken, '/api/v1/apps/shop/rules');
      expect(status).toBe(200);
      expect(body.rules.map((rule: any) => rule.id)).toEqual(['fine']);
      expect(body.configProblems).toEqual([expect.stringContaining("ALERT_RULES[0] (rule 'from-config'): left out: threshold")]);
    } finally {
      await broken.dispose();
    }
  });
});

describe('a deployed Worker', () => {
  test('sends only to https:// receivers: an http:// URL is refused without a request', async () => {
    const M0 = minuteAgo(20);
    const response = await fetch(new URL('/api/v1/apps/shop/rules', deployed.url), {
      method: 'POST',
      headers: { 'x-api-key': KEYS.admin },
      keepalive: false,
      body: JSON.stringify({ id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning' }),
    });
    expect(response.status).toBe(201);
    await ingestMinute(deployed, KEYS.shopIngest, 'shop', M0, 900);
    await cron(deployed, M0 + MINUTE);
    expect(receiver.at('/plain-http')).toHaveLength(0);
    const { body } = await api(deployed, '/api/v1/apps/shop/alerts');
    expect(body.history[0].deliveries).toEqual([{ channel: 'slack', status: 'rejected', attempts: 1, lastError: 'URL refused: only https:// receivers' }]);
  });
});

describe('a rule whose route the app has had no requests on', () => {
  test('is taken, with a warning naming the route it fits (a path typed from a log had never fired), or saying it has had no requests yet', async () => {
    const minute = minuteAgo(12);
    await ingestMinute(edge, KEYS.shopIngest, 'shop', minute, 30); // requests on GET /slow
    const rule = { id: 'route-hint', name: 'Route hint', metric: 'p95', condition: 'gt', threshold: 200, severity: 'warning' };
    const known = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, { ...rule, route: '/slow' });
    expect([known.status, known.body.warnings]).toEqual([201, undefined]);
    const typo = await send('PATCH', '/api/v1/apps/shop/rules/route-hint', KEYS.admin, { route: '/slo' });
    expect([typo.status, typo.body.warnings]).toEqual([200, ["route '/slo' has had no requests yet (routes are named by their templates, as the routes table shows them): the rule fires once it has"]]);
    await send('DELETE', '/api/v1/apps/shop/rules/route-hint', KEYS.admin);
  });
});

describe('a heartbeat rule shorter than an idle instance reports', () => {
  test('is taken with a warning, and listed among the config problems while it stands; a few minutes draws neither', async () => {
    const rule = { id: 'beat', name: 'Beat', metric: 'heartbeat', condition: 'gt', threshold: 5, severity: 'critical' };
    const short = await send('POST', '/api/v1/apps/shop/rules', KEYS.admin, rule);
    const expected = "rule 'beat': a heartbeat threshold of 5 ms fires on an idle instance, which reports once a minute: give it a few minutes (at least 120000)";
    expect([short.status, short.body.warnings]).toEqual([201, [expected]]);
    expect((await api(edge, '/api/v1/apps/shop/rules')).body.configProblems).toContain(expected);
    const fixed = await send('PATCH', '/api/v1/apps/shop/rules/beat', KEYS.admin, { threshold: 180_000 });
    expect([fixed.status, fixed.body.warnings]).toEqual([200, undefined]);
    expect((await api(edge, '/api/v1/apps/shop/rules')).body.configProblems.filter((p: string) => p.includes("'beat'"))).toEqual([]);
    await send('DELETE', '/api/v1/apps/shop/rules/beat', KEYS.admin);
  });
});
