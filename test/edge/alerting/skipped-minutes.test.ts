// A tick that comes two minutes after the last evaluation (an alarm woken late, or one whose data ended
// a minute early at the live horizon and the next whose did not) evaluates the minute it passed over
// first: a 60 s rule had missed a burst that only that minute held (a review: p95 458 ms in the
// minute, rule p95 > 200 ms over 60 s, never fired; a 90 s rule, spanning it, did).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { CATCH_UP_MINUTES } from '../../../src/edge/alerting/alert-tick.ts';
import { KEYS, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';

const receiver = startReceiver();
const RULE = { id: 'slow-60s', name: 'Slow over a minute', metric: 'p95', condition: 'gt', threshold: 200, duration: 60_000, severity: 'warning', notifyOnResolve: false };
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: { BUN_APM_DEV: 'true', ALERT_RULES: JSON.stringify({ shop: [RULE], blog: [RULE] }), WEBHOOK_URL: receiver.url('/webhook') } });
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

const firings = (app = 'shop') => receiver.at('/webhook').map((r) => JSON.parse(r.body) as { app: string; ruleId: string; state: string; value: number }).filter((h) => h.state === 'firing' && h.app === app);

test('after a tick at a time off the minute (a manual /__scheduled?time=…), the next tick still evaluates the minutes between (a review)', async () => {
  // First, and before the other tests' minutes: every tick visits every app, and a store evaluates no time before its last.
  const M0 = minuteAgo(40);
  await ingestMinute(edge, KEYS.blogIngest, 'blog', M0, 20);
  await cron(edge, M0 + MINUTE + 23_456); // as `/__scheduled?time=` with a time of one's own
  await ingestMinute(edge, KEYS.blogIngest, 'blog', M0 + MINUTE, 20);
  await ingestMinute(edge, KEYS.blogIngest, 'blog', M0 + 2 * MINUTE, 450); // the burst
  await ingestMinute(edge, KEYS.blogIngest, 'blog', M0 + 3 * MINUTE, 20);
  await cron(edge, M0 + 4 * MINUTE);
  expect(firings('blog').map((h) => [h.ruleId, Math.round(h.value)])).toEqual([['slow-60s', 450]]);
});

test('the minute between two ticks is evaluated: its burst fires the 60 s rule', async () => {
  const M0 = minuteAgo(20);
  await cronFirst(edge, M0 + MINUTE); // evaluates [M0, M0 + 1 min): quiet
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 20);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + MINUTE, 450); // the burst
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0 + 2 * MINUTE, 20);
  // The next tick comes a minute late: at M0 + 3 its own window [M0 + 2, M0 + 3) is quiet.
  await cron(edge, M0 + 3 * MINUTE);
  expect(firings().map((h) => [h.ruleId, Math.round(h.value)])).toEqual([['slow-60s', 450]]);
});

test(`a gap longer than ${CATCH_UP_MINUTES} minutes is caught up on its last ${CATCH_UP_MINUTES} minutes only`, async () => {
  const M1 = minuteAgo(14);
  const before = firings().length;
  // Alert resolves on a quiet minute first, so that a new burst fires anew.
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M1, 20);
  await cron(edge, M1 + MINUTE);
  // A tick at `late` evaluates the windows ending at late - 5 … late: [late - 6, late). A burst a
  // minute before that is not caught up; one within it is.
  const late = M1 + MINUTE + 10 * MINUTE;
  await ingestMinute(edge, KEYS.shopIngest, 'shop', late - (CATCH_UP_MINUTES + 2) * MINUTE, 450);
  await cron(edge, late);
  expect(firings().length).toBe(before);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', late + MINUTE, 450);
  await cron(edge, late + 3 * MINUTE);
  expect(firings().length).toBe(before + 1);
});
