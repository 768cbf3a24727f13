// Rule evaluation on each store's own alarm: a store with rules wakes at each minute's start and
// evaluates that minute, one without sleeps until its maintenance; while an every-minute cron ticks
// a store, the cron drives its evaluation and the alarm leaves it. The alarm is fired on demand by
// the local runtime (fireAlarmNow), as the runtime would fire it at the minute.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { ingestMinute, startReceiver } from './alerting/support.ts';
import { minuteAgo, nextMinute } from './support/minutes.ts';
import { eventually, KEYS, startEdge } from './support/edge.ts';

const receiver = startReceiver();
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: { BUN_APM_DEV: 'true', WEBHOOK_URL: receiver.url('/hook'), WEBHOOK_TOKEN: 'token-0123456789abcdef' } });
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

/** The minute a step began in and the one it ended in: the clock may cross a minute meanwhile. */
const minutesDuring = (began: number) => [began, minuteAgo(0)];

async function fireAlarm(app: string): Promise<any> {
  const store = await edge.store(app);
  const firedAt = Date.now();
  await store.fireAlarmNow();
  return eventually(async () => {
    const status = await store.status();
    return status.lastMaintenance !== null && status.lastMaintenance >= firedAt ? status : undefined;
  }, 10_000, 'the alarm to run');
}

describe('rules evaluated on the store\'s alarm', () => {
  test('a store without rules sleeps until its maintenance; a rule added through the API sets it for the next minute', async () => {
    await ingestMinute(edge, KEYS.shopIngest, 'shop', minuteAgo(1), 10);
    const store = await edge.store('shop');
    const before = Date.now();
    expect((await store.status()).nextAlarm).toBeGreaterThan(before + 200_000);
    const response = await fetch(new URL('/api/v1/apps/shop/rules', edge.url), {
      method: 'POST',
      headers: { 'x-api-key': KEYS.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'slow', name: 'Slow', metric: 'responseTime', condition: 'gt', threshold: 100, severity: 'warning', duration: 120_000 }),
    });
    expect(response.status).toBe(201);
    const nextAlarm = (await store.status()).nextAlarm;
    expect(nextAlarm).toBeGreaterThanOrEqual(nextMinute(before));
    expect(nextAlarm).toBeLessThanOrEqual(nextMinute(Date.now()));
  });

  test('the alarm evaluates the minute that began and notifies; then it is set for the next minute', async () => {
    await ingestMinute(edge, KEYS.shopIngest, 'shop', minuteAgo(1), 900);
    const minute = minuteAgo(0);
    const status = await fireAlarm('shop');
    expect(minutesDuring(minute)).toContain(status.lastEvaluation);
    const hook = await eventually(async () => receiver.at('/hook')[0], 10_000, 'the webhook');
    expect(JSON.parse(hook.body)).toMatchObject({ ruleId: 'slow', state: 'firing' });
    expect(status.nextAlarm).toBe(status.lastEvaluation + 60_000);
  });

  test('while a minute cron ticks the store, the alarm leaves evaluation to it', async () => {
    // What an every-minute cron does to a store of an app with rules in the config.
    const ticked = minuteAgo(3);
    const store = await edge.store('shop');
    await store.tick(ticked, 'shop');
    const evaluated = (await store.status()).lastEvaluation;
    const status = await fireAlarm('shop');
    // The cron's minute was older than the one evaluated last, so nothing took it, and the alarm
    // left the minute evaluated last as it was (the previous test's).
    expect(status.lastEvaluation).toBe(evaluated);
    expect(status.lastTick).toBe(ticked);
    const again = await fireAlarm('shop');
    expect(again.lastEvaluation).toBe(status.lastEvaluation);
  });
});
