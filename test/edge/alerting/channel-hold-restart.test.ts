// A Retry-After holds back its whole channel, also across an eviction. Found by a review: the wait
// was kept in the object's memory, so after an eviction (or a restart of `edge dev`) a notification
// queued during the wait went to Slack at once, which had asked to be left alone. The store here is
// persisted to disk and the runtime restarted between the 429 and the next notification.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute } from './support.ts';

const RETRY_AFTER_S = 600;
const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-channel-hold-'));

/** Slack's stand-in: each request's alert state and rule, and a 429 with Retry-After while `limited`. */
const slack = { limited: true, posts: [] as Array<{ status: number; what: string }> };
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request): Promise<Response> {
    const text = await request.text();
    const what = `${/"(FIRING|RESOLVED)\b/.exec(text)?.[1] ?? '?'}:${/\b(slow-300|slow-600)\b/.exec(text)?.[1] ?? '?'}`;
    const status = slack.limited ? 429 : 200;
    slack.posts.push({ status, what });
    return new Response(status === 200 ? 'ok' : 'rate_limited', { status, headers: status === 429 ? { 'retry-after': String(RETRY_AFTER_S) } : {} });
  },
});

afterAll(() => {
  server.stop(true);
  rmSync(stateDir, { recursive: true, force: true });
});

const RULES = [300, 600].map((threshold) => ({ id: `slow-${threshold}`, name: `slow-${threshold}`, metric: 'responseTime', route: '/slow', condition: 'gt', threshold, severity: 'warning', duration: MINUTE }));
const edgeOptions = {
  persistDir: stateDir,
  bindings: { BUN_APM_DEV: 'true', ALERT_RULES: JSON.stringify({ shop: RULES }), SLACK_WEBHOOK_URL: `http://127.0.0.1:${server.port}/slack` },
};

async function ticks(edge: LocalEdge, times: number[]): Promise<void> {
  for (const time of times) await cron(edge, time);
}

test('a notification queued after a restart waits for the Retry-After the channel gave before it; then everything goes once', async () => {
  const M0 = minuteAgo(30);
  const T = (n: number) => M0 + n * MINUTE;
  let edge = await startEdge(edgeOptions);
  try {
    await cronFirst(edge, T(-1));
    // slow-300 fires at T1 (400 ms in M0); slow-600 at T3 (900 ms in M2).
    await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 400);
    await ingestMinute(edge, KEYS.shopIngest, 'shop', T(1), 400);
    await ingestMinute(edge, KEYS.shopIngest, 'shop', T(2), 900);
    await cron(edge, T(1));
    expect(slack.posts).toEqual([{ status: 429, what: 'FIRING:slow-300' }]);
    slack.limited = false;
  } finally {
    await edge.dispose();
  }
  edge = await startEdge(edgeOptions);
  try {
    // The wait ends at T1 + 600 s = T11: nothing goes to Slack before, though slow-600 fires at T3.
    await ticks(edge, [2, 3, 4, 5, 6, 7, 8, 9, 10].map(T));
    expect(slack.posts).toHaveLength(1);
    await ticks(edge, [11, 12, 13].map(T));
  } finally {
    await edge.dispose();
  }
  const delivered = slack.posts.filter((p) => p.status === 200).map((p) => p.what).sort();
  expect(delivered).toEqual(['FIRING:slow-300', 'FIRING:slow-600', 'RESOLVED:slow-300', 'RESOLVED:slow-600']);
}, 90_000);
