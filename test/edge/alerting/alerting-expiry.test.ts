// The outbox gives up: a receiver that never answers 2xx is retried with growing pauses, and the
// delivery expires 24 h after its notification, with no attempt after that.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { api, KEYS, startEdge } from '../support/edge.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';
import { minuteAgo } from '../support/minutes.ts';

const receiver = startReceiver({ '/down': Array.from({ length: 100 }, () => 503) });
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({
    bindings: {
      BUN_APM_DEV: 'true',
      WEBHOOK_URL: receiver.url('/down'),
      ALERT_RULES: JSON.stringify([{ id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning', notifyOnResolve: false }]),
    },
  });
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

test('retries back off (1, 1, 2, 5 … minutes) and stop when the delivery expires after 24 h', async () => {
  const M0 = minuteAgo(60);
  await cronFirst(edge, M0 - MINUTE);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  const T = M0 + MINUTE;
  // Every minute for 12 minutes: attempts at +0, +1, +2, +4, +9 (waits of 1, 1, 2, 5 minutes).
  for (let i = 0; i < 12; i++) await cron(edge, T + i * MINUTE);
  expect(receiver.at('/down')).toHaveLength(5);
  // A day later: expired, not attempted again.
  await cron(edge, T + 24 * 60 * MINUTE);
  await cron(edge, T + 24 * 60 * MINUTE + MINUTE);
  expect(receiver.at('/down')).toHaveLength(5);
  const { body } = await api(edge, '/api/v1/apps/shop/alerts');
  const fired = body.history.find((n: any) => n.state === 'firing');
  expect(fired.deliveries).toEqual([{ channel: 'webhook', status: 'expired', attempts: 5, lastError: 'HTTP 503' }]);
});
