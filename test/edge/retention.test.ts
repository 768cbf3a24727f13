// Retention and downsampling run by the Durable Object's alarm, under a store clock the test moves
// (the local entry's setClockOffset): old minutes become hours, then everything goes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { apiOk, eventually, ingestOk, startEdge, storedRecords } from './support/edge.ts';
import { expected, generateTraffic, withinOnePercent, type Traffic } from './support/traffic.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.now();
const hourOf = (t: number) => t - (t % HOUR);

let edge: LocalEdge;
let store: any;
// Three stretches of traffic: 6.5 days old, 47 hours old, and the last half hour.
let weekOld: Traffic;
let twoDaysOld: Traffic;
let recent: Traffic;

/** Moves the store's clock, fires its alarm and waits until the alarm's maintenance has run. */
async function alarmAt(offsetMs: number): Promise<any> {
  const firedAt = Date.now();
  await store.setClockOffset(offsetMs);
  await store.fireAlarmNow();
  return eventually(async () => {
    const status = await store.status();
    return status.lastMaintenance !== null && status.lastMaintenance >= firedAt + offsetMs ? status : undefined;
  }, 10_000, 'the alarm to run maintenance');
}

function expectAgrees(summary: any, traffic: Traffic) {
  const wanted = expected(traffic.requests);
  expect(summary.requests).toBe(wanted.requests);
  expect(summary.errors).toBe(wanted.errors);
  expect(summary.latency.max).toBe(wanted.max);
  for (const q of ['p50', 'p95', 'p99'] as const) expect(withinOnePercent(summary.latency[q], wanted[q]!)).toBe(true);
}

beforeAll(async () => {
  edge = await startEdge();
  store = await edge.store('shop');
  weekOld = generateTraffic({ end: NOW - 6.5 * DAY, minutes: 6, perMinute: 50, seed: 1 });
  twoDaysOld = generateTraffic({ end: NOW - 47 * HOUR, minutes: 10, perMinute: 100, seed: 2 });
  recent = generateTraffic({ end: NOW - 30 * MINUTE, minutes: 6, perMinute: 50, seed: 3 });
  for (const traffic of [weekOld, twoDaysOld, recent]) for (const batch of traffic.batches) await ingestOk(edge, batch);
});

afterAll(async () => {
  await edge?.dispose();
});

// A window around the two-day-old traffic: older than minute retention, so answered from hours.
const oldWindow = () => `from=${NOW - 49 * HOUR}&to=${NOW - 46 * HOUR}`;

describe('retention and downsampling by the alarm', () => {
  test('before any maintenance everything is in minutes', async () => {
    const status = await store.status();
    expect(status.rows.rollupHours).toBe(0);
    expect(status.hourWatermark).toBeNull();
    expect(status.nextAlarm).toBeGreaterThan(Date.now());
  });

  test('first alarm: completed hours are rolled up; minutes past retention go, recent ones stay', async () => {
    const status = await alarmAt(0);
    // Every hour that ended at least 5 minutes before the maintenance is rolled up.
    expect(status.hourWatermark).toBe(hourOf(status.lastMaintenance - 5 * MINUTE));
    expect(status.rows.rollupHours).toBeGreaterThan(0);
    const minutes = (await storedRecords(edge)).filter((r) => r.type === 'rollup' && r.resolution === 'minute');
    // The week-old minutes were older than 48 h and are now only hours.
    expect(minutes.every((r) => r.minute >= NOW - 48 * HOUR)).toBe(true);
    expect(minutes.some((r) => r.minute < NOW - 46 * HOUR)).toBe(true);
    const fromHours = await apiOk(edge, `/api/v1/apps/shop/summary?${oldWindow()}`);
    expect(fromHours.from % HOUR).toBe(0);
    expectAgrees(fromHours, twoDaysOld);
    // A start inside an hour (20 minutes before the traffic, or 25 when that lands in an hour's first
    // minute, as it does when the test runs at :20 past), so the answer must come from minutes.
    const start = NOW - 47 * HOUR - 20 * MINUTE;
    const midHour = start % HOUR < MINUTE ? start - 5 * MINUTE : start;
    const fromMinutes = await apiOk(edge, `/api/v1/apps/shop/summary?from=${midHour}&to=${NOW - 46 * HOUR}`);
    expect(fromMinutes.from % HOUR).not.toBe(0);
    expectAgrees(fromMinutes, twoDaysOld);
    expectAgrees(await apiOk(edge, `/api/v1/apps/shop/summary?from=${NOW - 7 * DAY}&to=${NOW - 6 * DAY}`), weekOld);
  });

  test('a late batch for an hour already rolled up lands in both its minutes and its hour', async () => {
    const late = generateTraffic({ end: hourOf(NOW) - 2 * HOUR + 30 * MINUTE, minutes: 20, perMinute: 40, seed: 4 });
    const hour = hourOf(NOW) - 2 * HOUR;
    expect((await store.status()).hourWatermark).toBeGreaterThan(hour);
    for (const batch of late.batches) await ingestOk(edge, batch);
    // Whole hours of a summary come from the hourly rollups, a per-minute series from the minutes.
    expectAgrees(await apiOk(edge, `/api/v1/apps/shop/summary?from=${hour}&to=${hour + HOUR}`), late);
    const series = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${hour}&to=${hour + HOUR}&step=60000&metric=requests`);
    expect(series.requests.reduce((sum: number, n: number | null) => sum + (n ?? 0), 0)).toBe(late.requests.length);
    const routes = await apiOk(edge, `/api/v1/apps/shop/routes?from=${hour}&to=${hour + HOUR}`);
    expect(routes.routes.reduce((sum: number, r: any) => sum + r.requests, 0)).toBe(late.requests.length);
    recent = { ...recent, requests: [...recent.requests, ...late.requests], samples: [...recent.samples, ...late.samples], spans: [...recent.spans, ...late.spans], batches: [...recent.batches, ...late.batches] };
  });

  test('two hours later the two-day-old minutes are gone, and their hours answer the same', async () => {
    await alarmAt(2 * HOUR);
    const records = await storedRecords(edge);
    const minutes = records.filter((r) => r.type === 'rollup' && r.resolution === 'minute');
    expect(minutes.every((r) => r.minute >= NOW - 46 * HOUR)).toBe(true);
    const hours = records.filter((r) => r.type === 'rollup' && r.resolution === 'hour' && r.minute >= NOW - 49 * HOUR && r.minute < NOW - 46 * HOUR);
    expect(hours.reduce((sum, r) => sum + r.count, 0)).toBe(twoDaysOld.requests.length);
    expectAgrees(await apiOk(edge, `/api/v1/apps/shop/summary?${oldWindow()}`), twoDaysOld);
    const series = await apiOk(edge, `/api/v1/apps/shop/timeseries?${oldWindow()}&step=3600000&metric=requests`);
    expect(series.resolution).toBe('hour');
    expect(series.requests.reduce((sum: number, n: number | null) => sum + (n ?? 0), 0)).toBe(twoDaysOld.requests.length);
  });

  test('a day later the week-old detail (samples, spans, traces, profiles) is gone, the rest stays', async () => {
    await alarmAt(DAY);
    const records = await storedRecords(edge);
    const samples = records.filter((r) => r.type === 'sample');
    expect(samples).toHaveLength(twoDaysOld.samples.length + recent.samples.length);
    expect(records.filter((r) => r.type === 'span')).toHaveLength(twoDaysOld.spans.length + recent.spans.length);
    expect(records.filter((r) => r.type === 'profile')).toHaveLength(twoDaysOld.batches.length + recent.batches.length);
    expect((await store.status()).rows.traces).toBe(twoDaysOld.samples.length + recent.samples.length);
    // Its rollups live on as hours.
    expectAgrees(await apiOk(edge, `/api/v1/apps/shop/summary?from=${NOW - 7 * DAY}&to=${NOW - 6 * DAY}`), weekOld);
  });

  test('after 91 days everything has gone and the alarm stops re-arming', async () => {
    const status = await alarmAt(91 * DAY);
    expect(Object.values(status.rows).every((n) => n === 0)).toBe(true);
    expect(status.routes.count).toBe(0);
    expect(status.instances.count).toBe(0);
    expect(status.nextAlarm).toBeNull();
    expect(await storedRecords(edge)).toEqual([]);
  });
});

describe('caps (maxEntries) by the alarm', () => {
  let capped: LocalEdge;

  afterAll(async () => {
    await capped?.dispose();
  });

  test('only the newest samples, spans and profiles past the caps are kept', async () => {
    capped = await startEdge({ bindings: { MAX_SAMPLES: '5', MAX_SPANS: '4', MAX_PROFILES: '2' } });
    const traffic = generateTraffic({ end: NOW, minutes: 4, perMinute: 60, seed: 9 });
    for (const batch of traffic.batches) await ingestOk(capped, batch);
    const cappedStore = await capped.store('shop');
    const firedAt = Date.now();
    await cappedStore.fireAlarmNow();
    await eventually(async () => ((await cappedStore.status()).lastMaintenance >= firedAt ? true : undefined), 10_000, 'maintenance');
    const records = await storedRecords(capped);
    const newest = (list: number[], n: number) => [...list].sort((a, b) => b - a).slice(0, n).sort((a, b) => a - b);
    expect(records.filter((r) => r.type === 'sample').map((r) => r.timestamp).sort((a, b) => a - b)).toEqual(newest(traffic.samples.map((s) => s.timestamp), 5));
    expect(records.filter((r) => r.type === 'span').map((r) => r.startTime).sort((a, b) => a - b)).toEqual(newest(traffic.spans.map((s) => s.startTime), 4));
    expect(records.filter((r) => r.type === 'profile')).toHaveLength(2);
    // Rollups are not detail: every request is still counted.
    expect((await apiOk(capped, `/api/v1/apps/shop/summary?from=${NOW - HOUR}&to=${NOW + MINUTE}`)).requests).toBe(traffic.requests.length);
  });
});
