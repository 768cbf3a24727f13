// Rule evaluation on each store's own alarm: a store with rules wakes at each minute's start and
// evaluates that minute, one without sleeps until its maintenance; while an every-minute cron ticks
// a store, the cron drives its evaluation and the alarm leaves it. The alarm is fired on demand by
// the local runtime (fireAlarmNow), as the runtime would fire it at the minute.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { ingestMinute, startReceiver } from './alerting/support.ts';
import { CRON_DRIVES_MS, EVALUATION_GRACE_MS, nextEvaluation } from '../../src/edge/store/wake-schedule.ts';
import { minuteAgo } from './support/minutes.ts';
import { eventually, KEYS, startEdge } from './support/edge.ts';

const receiver = startReceiver();
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: { BUN_APM_DEV: 'true', WEBHOOK_URL: receiver.url('/hook'), WEBHOOK_TOKEN: 'token-0123456789abcdef', DASHBOARD_URL: 'https://apm.example/performance' } });
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
    expect(nextAlarm).toBeGreaterThanOrEqual(nextEvaluation(before));
    expect(nextAlarm).toBeLessThanOrEqual(nextEvaluation(Date.now()));
  });

  test('the alarm evaluates the minute that began and notifies; then it is set for the next minute', async () => {
    await ingestMinute(edge, KEYS.shopIngest, 'shop', minuteAgo(1), 900);
    const minute = minuteAgo(0);
    const before = Date.now();
    const status = await fireAlarm('shop');
    expect(minutesDuring(minute)).toContain(status.lastEvaluation);
    const hook = await eventually(async () => receiver.at('/hook')[0], 10_000, 'the webhook');
    expect(JSON.parse(hook.body)).toMatchObject({ ruleId: 'slow', state: 'firing' });
    // Set for the next evaluation from when it ran: the next minute's grace, or this minute's when
    // fired on demand within it (it failed once so, as lastEvaluation + 60 s + grace).
    expect(status.nextAlarm).toBeGreaterThanOrEqual(nextEvaluation(before));
    expect(status.nextAlarm).toBeLessThanOrEqual(nextEvaluation(Date.now()));
    expect(status.nextAlarm).toBeLessThanOrEqual(status.lastEvaluation + 60_000 + EVALUATION_GRACE_MS);
  });

  test('while a minute cron ticks the store, the alarm leaves evaluation to it', async () => {
    // What an every-minute cron does to a store of an app with rules in the config.
    const ticked = minuteAgo(3);
    const store = await edge.store('shop');
    const tickedAt = Date.now();
    await store.tick(ticked, 'shop');
    const evaluated = (await store.status()).lastEvaluation;
    const status = await fireAlarm('shop');
    // The cron's minute was older than the one evaluated last, so nothing took it, and the alarm
    // left the minute evaluated last as it was (the previous test's).
    expect(status.lastEvaluation).toBe(evaluated);
    expect(status.lastTick).toBe(ticked);
    const again = await fireAlarm('shop');
    expect(again.lastEvaluation).toBe(status.lastEvaluation);
    // Set for when the alarm takes over, should the ticks stop: it had been left to maintenance, 5 min
    // and more away, and the rules went unevaluated meanwhile (a review).
    expect(again.nextAlarm).toBeGreaterThanOrEqual(tickedAt + CRON_DRIVES_MS);
    expect(again.nextAlarm).toBeLessThanOrEqual(Date.now() + CRON_DRIVES_MS);
  });

  test('a minute is evaluated once every instance has reported all of it: its last seconds, sent after it ended, count', async () => {
    // Found by a review: the alarm evaluated each minute at its start, before the instances' last
    // batch of it (sent every 10 s, not on the minute), and the next minute's window left it out:
    // errors in a minute's last seconds fired nothing, ever.
    const response = await fetch(new URL('/api/v1/apps/blog/rules', edge.url), {
      method: 'POST',
      headers: { 'x-api-key': KEYS.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.3, severity: 'critical' }),
    });
    expect(response.status).toBe(201);
    // Both alarms below must find the clock in the minute after `previous`: once the next minute
    // began, the second would evaluate that one instead. The steps take a few seconds at most, so
    // with less than 15 s left of this minute, start in the next.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await Bun.sleep(left + 100);
    const previous = minuteAgo(1);
    const ok = 20 + Math.floor(Math.random() * 10);
    const failed = 15 + Math.floor(Math.random() * 10);
    const batch = (id: string, from: number, to: number, status: number, count: number): Batch => {
      const table = new RollupTable();
      for (let i = 0; i < count; i++) table.record(from + 1_000 + Math.floor((i * (to - from - 2_000)) / count), 'GET', '/posts', status, 5, 10, false);
      return {
        version: 1, batchId: `tail-${id}-${previous}`,
        identity: { app: 'blog', service: 'api', instance: 'host-1:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
        window: { start: from, end: to }, rollups: table.drain(), samples: [], spans: [], profiles: [], dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
      };
    };
    const send = async (body: Batch) => {
      const answer = await fetch(new URL('/v1/ingest', edge.url), { method: 'POST', keepalive: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.blogIngest}` }, body: JSON.stringify(body) });
      expect(answer.status).toBe(202);
    };
    // The minute's first 50 s: all fine. Its instance's next batch is still due, so the minute waits.
    await send(batch('head', previous, previous + 50_000, 200, ok));
    const waiting = await fireAlarm('blog');
    expect(waiting.lastEvaluation).toBeLessThan(previous + 60_000);
    expect(receiver.at('/hook').filter((hook) => JSON.parse(hook.body).ruleId === 'errors')).toEqual([]);
    // Its last 10 s, all errors, arrive after it ended: now it is complete, and evaluated whole.
    await send(batch('tail', previous + 50_000, previous + 60_000, 500, failed));
    const evaluated = await fireAlarm('blog');
    expect(evaluated.lastEvaluation).toBe(previous + 60_000);
    const hook = await eventually(async () => receiver.at('/hook').find((h) => JSON.parse(h.body).ruleId === 'errors'), 10_000, 'the webhook');
    // Its link opens the dashboard on the app (without `app` the edge shows its first app: shop).
    expect(JSON.parse(hook.body)).toMatchObject({ ruleId: 'errors', state: 'firing', value: failed / (ok + failed), dashboardUrl: 'https://apm.example/performance?app=blog' });
  }, 60_000);
});
