// Found by a review of the 1-minute repeatInterval floor and the 'rule changed' resolve: a var or
// API rule under the floor had been left out (its open alert resolved "rule removed" while the
// incident went on); it is now kept, evaluated with the floor and named in configProblems. And the
// outbox sent the new alert's firing before the old alert's 'rule changed' resolve, so a receiver
// grouping by rule closed the new incident: a rule's notifications now go in the order made.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';

const VAR_RULE = { id: 'var-fast', name: 'Var fast', metric: 'responseTime', condition: 'gt', threshold: 1e9, severity: 'info', repeatInterval: 30_000 };
const receiver = startReceiver();
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: { ALERT_RULES: JSON.stringify([VAR_RULE]), BUN_APM_DEV: 'true', WEBHOOK_URL: receiver.url('/hook') } });
  await cronFirst(edge, minuteAgo(20));
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

async function send(method: string, path: string, body: unknown): Promise<number> {
  const headers = { 'content-type': 'application/json', 'x-api-key': KEYS.admin };
  const response = await fetch(new URL(path, edge.url), { method, headers, keepalive: false, body: JSON.stringify(body) });
  await response.body?.cancel();
  return response.status;
}

test('rules under the repeatInterval floor are kept and named; an edited firing rule\'s resolve reaches the receiver before the new alert\'s firing', async () => {
  const slow = { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'critical', repeatInterval: 30_000, cooldown: 600_000 };
  expect(await send('POST', '/api/v1/apps/shop/rules', slow)).toBe(201);
  const { body } = await api(edge, '/api/v1/apps/shop/rules');
  expect(body.rules.map((r: any) => [r.id, r.source])).toEqual([['var-fast', 'config'], ['slow', 'api']]);
  expect(body.configProblems).toEqual([
    "rule 'var-fast': repeatInterval: 30000 ms is under the minimum, 60000: reminders go every 60000 ms",
    "rule 'slow': repeatInterval: 30000 ms is under the minimum, 60000: reminders go every 60000 ms",
  ]);
  expect((await api(edge, '/api/v1/apps/shop/alerts')).body.configProblems).toEqual(body.configProblems);

  const M0 = minuteAgo(15);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  await cron(edge, M0 + MINUTE);
  // Edited while firing (and within its cooldown): the old alert resolves, the new one fires at once, in that order.
  expect(await send('PATCH', '/api/v1/apps/shop/rules/slow', { threshold: 200 })).toBe(200);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + MINUTE, 900);
  await cron(edge, M0 + 2 * MINUTE);
  const hooks = receiver.at('/hook').map((r) => JSON.parse(r.body));
  expect(hooks.map((h) => [h.ruleId, h.id, h.state, h.resolvedBy])).toEqual([
    ['slow', `slow-${M0 + MINUTE}`, 'firing', null],
    ['slow', `slow-${M0 + MINUTE}`, 'resolved', 'rule changed'],
    ['slow', `slow-${M0 + 2 * MINUTE}`, 'firing', null],
  ]);
});
