// The cron: the hourly cron of wrangler.toml only wakes (sets the alarm of) the stores of apps with
// rules in the config, and leaves the others alone; an every-minute cron (the local runtime's
// /__scheduled, an older wrangler.toml) ticks every app with its scheduled time, as it always did.
// With shards, only shard 0 (which holds the app's alerting) is woken.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { startEdge } from './support/edge.ts';
import { nextEvaluation } from '../../src/edge/store/wake-schedule.ts';

const RULES = JSON.stringify({ shop: [{ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 1000, severity: 'warning' }] });
let local: LocalEdge;
let production: LocalEdge;

beforeAll(async () => {
  [local, production] = await Promise.all([startEdge({ bindings: { ALERT_RULES: RULES } }), startEdge({ entry: 'production', bindings: { ALERT_RULES: RULES, SHARDS: '4' } })]);
});

afterAll(async () => {
  await local?.dispose();
  await production?.dispose();
});

describe('scheduled', () => {
  test('/__scheduled?cron=…&time=… ticks every app with that time', async () => {
    const time = Date.UTC(2026, 10, 27, 10, 0, 0);
    const response = await fetch(new URL(`/__scheduled?cron=${encodeURIComponent('* * * * *')}&time=${time}`, local.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, cron: '* * * * *', scheduledTime: time });
    const shop = await (await local.store('shop')).status();
    expect(shop.lastTick).toBe(time);
    expect(shop.lastEvaluation).toBe(time);
    expect((await (await local.store('blog')).status()).lastTick).toBe(time);
  });

  test('/__scheduled refuses a time more than a minute ahead, naming it, and ticks nothing (an hour ahead had stopped every evaluation for that hour: a review)', async () => {
    const store = await local.store('shop');
    const before = await store.status();
    const ahead = Math.floor(Date.now() / 60_000) * 60_000 + 3_600_000;
    const response = await fetch(new URL(`/__scheduled?cron=${encodeURIComponent('* * * * *')}&time=${ahead}`, local.url));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe('time: at most a minute ahead of the clock (a tick for a later minute would stop evaluation until then)');
    const after = await store.status();
    expect([after.lastTick, after.lastEvaluation]).toEqual([before.lastTick, before.lastEvaluation]);
  });

  test('the hourly cron of wrangler.toml wakes the stores of apps with rules: their alarm is set, nothing evaluated', async () => {
    const worker = await production.mf.getWorker();
    const before = Date.now();
    const result = await worker.scheduled({ cron: '0 * * * *', scheduledTime: new Date(before) });
    expect(result.outcome).toBe('ok');
    const shop = await (await production.store('shop')).status();
    const after = Date.now();
    expect(shop.lastTick).toBeNull();
    // The store evaluates its rule on its own alarm, at the start of the next minute (of the visit's
    // start or end: the clock may cross a minute meanwhile).
    expect([before, after].map(nextEvaluation)).toContain(shop.nextAlarm);
    // Nothing else was visited: not the app without rules, not the shop's other shards.
    for (const name of ['blog', 'blog#1', 'shop#1', 'shop#2', 'shop#3']) {
      const store = await production.store(name);
      expect((await store.status()).nextAlarm).toBeNull();
      await store.flushUsage();
      expect((await store.usageReport(1)).days[0]?.ticks ?? 0).toBe(0);
    }
    const visited = await production.store('shop');
    await visited.flushUsage();
    expect((await visited.usageReport(1)).days[0].ticks).toBe(1);
    expect((await fetch(new URL('/__scheduled', production.url))).status).toBe(404);
  });
});
