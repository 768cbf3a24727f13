// A receiver that takes 7 s to answer gets each notification once. The edge's per-delivery timeout
// had been 5 s: such an answer counted as a failure, and the alert was posted again on the next
// tick, and the next, for as long as the receiver stayed slow (a review: duplicate Slack posts).
import { afterAll, expect, test } from 'bun:test';
import { KEYS, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute } from './support.ts';

const ANSWER_AFTER_MS = 7_000;
const posts: string[] = [];
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  idleTimeout: 30,
  async fetch(request): Promise<Response> {
    posts.push(/"state":"(\w+)"/.exec(await request.text())?.[1] ?? '?');
    await Bun.sleep(ANSWER_AFTER_MS);
    return new Response('ok');
  },
});
afterAll(() => server.stop(true));

test('a webhook answering in 7 s gets the firing once, though ticks come while it is slow', async () => {
  const rule = { id: 'slow', name: 'Slow', metric: 'responseTime', route: '/slow', condition: 'gt', threshold: 300, severity: 'warning', duration: MINUTE };
  const edge = await startEdge({
    bindings: { BUN_APM_DEV: 'true', ALERT_RULES: JSON.stringify({ shop: [rule] }), WEBHOOK_URL: `http://127.0.0.1:${server.port}/hook`, WEBHOOK_TOKEN: 'webhook-token-0123456789' },
  });
  try {
    const M0 = minuteAgo(20);
    await cronFirst(edge, M0 - MINUTE);
    for (let m = 0; m < 3; m++) await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + m * MINUTE, 900);
    for (let m = 1; m <= 3; m++) await cron(edge, M0 + m * MINUTE);
    expect(posts).toEqual(['firing']);
  } finally {
    await edge.dispose();
  }
}, 60_000);
