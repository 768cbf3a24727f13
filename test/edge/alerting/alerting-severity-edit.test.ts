// A firing rule's severity edited through the rules API (found by a review): the resolve reaches
// the channels the firing reached, so PagerDuty's incident closes though its filter takes only
// critical alerts and the rule is now a warning. Real workerd, real receivers on 127.0.0.1.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';

setDefaultTimeout(60_000);

const receiver = startReceiver();
let edge: LocalEdge;
// M0: slow requests; M1: fast ones. At M1 the 1-minute window holds both (p95 slow): firing; later minutes hold none: resolved.
const M0 = minuteAgo(30);
const M1 = M0 + MINUTE;

beforeAll(async () => {
  edge = await startEdge({
    bindings: {
      BUN_APM_DEV: 'true',
      PAGERDUTY_ROUTING_KEY: 'pd-routing-key-0123456789',
      PAGERDUTY_URL: receiver.url('/pagerduty'),
      SLACK_WEBHOOK_URL: receiver.url('/slack'),
      ALERT_CHANNEL_FILTERS: JSON.stringify({ pagerduty: { severities: ['critical'] }, slack: { severities: ['warning'] } }),
    },
  });
  await cronFirst(edge, M0 - MINUTE);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M1, 10);
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

async function admin(method: string, path: string, body: unknown): Promise<number> {
  const response = await fetch(new URL(path, edge.url), {
    method, keepalive: false, headers: { 'content-type': 'application/json', 'x-api-key': KEYS.admin }, body: JSON.stringify(body),
  });
  await response.body?.cancel();
  return response.status;
}

test('a critical alert lowered to a warning while it fires is resolved where it was paged, and nowhere it was not', async () => {
  const rule = { id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 500, severity: 'critical', duration: MINUTE };
  expect(await admin('POST', '/api/v1/apps/shop/rules', rule)).toBe(201);
  await cron(edge, M1);
  const paged = () => receiver.at('/pagerduty').map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string });
  expect(paged().map((e) => e.event_action)).toEqual(['trigger']);
  // "Too noisy for paging."
  expect(await admin('PATCH', '/api/v1/apps/shop/rules/slow', { severity: 'warning' })).toBe(200);
  for (let m = 2; m <= 4; m++) await cron(edge, M0 + m * MINUTE);
  expect(paged().map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
  expect(paged()[1]!.dedup_key).toBe(paged()[0]!.dedup_key);
  // Slack takes warnings only: it was never told of the critical alert, so it is not told it resolved.
  expect(receiver.at('/slack')).toEqual([]);
});
