// Notifications of one alert reach a channel in the order they happened: a resolve waits while the
// firing it resolves is still being retried. Found by a review (it failed before the fix): with the
// receiver down for three attempts the resolve, new and due at once, overtook the firing on its
// backoff, and PagerDuty was left with the incident open after its resolve.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';

const receiver = startReceiver({ '/pd': [500, 500, 500] });
const RULE = { id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 300, severity: 'critical', duration: 60_000 };
const M0 = minuteAgo(50);
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: { BUN_APM_DEV: 'true', ALERT_RULES: JSON.stringify({ shop: [RULE] }), PAGERDUTY_ROUTING_KEY: 'pd-routing-key-0123456789', PAGERDUTY_URL: receiver.url('/pd') } });
  await cronFirst(edge, M0 - MINUTE);
  // Slow in M0 and M1, fast in M2: firing from T1, resolved at T3, while the receiver is down for three attempts.
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + MINUTE, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + 2 * MINUTE, 10);
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

test('a resolve is held back until the firing it resolves is delivered, then sent: the receiver ends on resolve', async () => {
  for (let t = 1; t <= 8; t++) await cron(edge, M0 + t * MINUTE);
  const attempts = receiver.at('/pd').map((r) => (JSON.parse(r.body) as { event_action: string }).event_action);
  // Three failed triggers, the trigger delivered, then the resolve: never a resolve before its trigger.
  expect(attempts).toEqual(['trigger', 'trigger', 'trigger', 'trigger', 'resolve']);
  const { body } = await api(edge, '/api/v1/apps/shop/alerts');
  expect(body.active).toEqual([]);
  expect(body.history.map((h: { state: string; deliveries: Array<{ status: string }> }) => [h.state, h.deliveries.map((d) => d.status)])).toEqual([['resolved', ['sent']], ['firing', ['sent']]]);
});
