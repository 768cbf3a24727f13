// 10-second rollups at the edge, in workerd: stored and summed into minutes, charted 90 points to
// 15 minutes and 360 to the hour, whole-window sums tiled from 10 s, minutes and hours with exactly
// the same figures, the live window ending where every instance has reported, older clients'
// minute cells kept at their minute's start, and retention.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { seededRandom } from '../support/random.ts';
import { apiOk, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';
import { expected, withinOnePercent } from './support/traffic.ts';

const S10 = 10_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

interface Request { time: number; route: string; status: number; duration: number }

let counter = 0;
function batchOf(instance: string, requests: Request[], windowEnd: number, cellMs = S10): Batch {
  const table = new RollupTable(cellMs);
  for (const r of requests) table.record(r.time, 'GET', r.route, r.status, r.duration, 10, false);
  return {
    version: 1, batchId: `ten-seconds-${String(++counter).padStart(6, '0')}-${windowEnd}`,
    // One process per instance: a heartbeat comes from the process that sent the requests before it.
    identity: { app: 'shop', service: 'api', instance, pid: 1000 + instance.length, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: Math.min(...requests.map((r) => r.time), windowEnd), end: windowEnd },
    rollups: table.drain(), samples: [], spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

/** `seconds` of traffic ending at `end`, `perSecond` requests a second, on two routes. */
function traffic(end: number, seconds: number, perSecond: number, seed: number): Request[] {
  const random = seededRandom(seed);
  const out: Request[] = [];
  for (let s = seconds; s > 0; s--) {
    for (let i = 0; i < perSecond; i++) {
      out.push({ time: end - s * 1000 + Math.floor(random() * 1000), route: random() < 0.7 ? '/a' : '/b', status: random() < 0.05 ? 503 : 200, duration: Math.round(1 + random() * 200 * 1000) / 1000 });
    }
  }
  return out;
}

describe('10-second rollups (TEN_SECOND_ROUTES on: per route too)', () => {
  let edge: LocalEdge;
  const now = Date.now();
  const end = now - (now % S10) - S10; // whole 10-second cells, all in the past
  const requests = traffic(end, 50 * 60, 2, 7);

  beforeAll(async () => {
    edge = await startEdge({ bindings: { TEN_SECOND_ROUTES: 'on' } });
    // Two instances, each flushing every 5 minutes.
    for (const [i, instance] of ['web-1:shop', 'web-2:shop'].entries()) {
      const mine = requests.filter((_, k) => k % 2 === i);
      for (let t = end - 50 * MINUTE; t < end; t += 5 * MINUTE) {
        const part = mine.filter((r) => r.time >= t && r.time < t + 5 * MINUTE);
        if (part.length > 0) await ingestOk(edge, batchOf(instance, part, t + 5 * MINUTE));
      }
    }
  }, 60_000);

  afterAll(async () => {
    await edge?.dispose();
  });

  test('the 15 m view is 90 points of 10 s, the hour 360; each bucket exact', async () => {
    const quarter = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${end - 15 * MINUTE}&to=${end}&metric=requests,rps,p95`);
    expect(quarter).toMatchObject({ resolution: '10s', step: S10, from: end - 15 * MINUTE, to: end, until: end });
    expect(quarter.t).toHaveLength(90);
    quarter.t.forEach((t: number, i: number) => {
      const mine = requests.filter((r) => r.time >= t && r.time < t + S10);
      expect(quarter.requests[i]).toBe(mine.length);
      expect(quarter.rps[i]).toBeCloseTo(mine.length / 10, 12);
      expect(withinOnePercent(quarter.p95[i], expected(mine.map((r) => ({ ...r, method: 'GET', thrown: false, instance: '' }))).p95!)).toBe(true);
    });
    const hour = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${end - HOUR}&to=${end}&metric=requests`);
    expect(hour).toMatchObject({ resolution: '10s', step: S10 });
    expect(hour.t).toHaveLength(360);
    expect(hour.requests.reduce((sum: number, n: number | null) => sum + (n ?? 0), 0)).toBe(requests.length);
  });

  test('minutes hold the same requests, summed as the cells arrive', async () => {
    const minutes = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${end - HOUR}&to=${end}&step=60000&metric=requests`);
    expect(minutes.resolution).toBe('minute');
    minutes.t.forEach((t: number, i: number) => {
      const n = requests.filter((r) => r.time >= t && r.time < t + MINUTE).length;
      expect(minutes.requests[i]).toBe(n === 0 ? null : n);
    });
    const records = await storedRecords(edge);
    const sum = (resolution: string) => records.filter((r) => r.type === 'rollup' && r.resolution === resolution).reduce((s, r) => s + r.count, 0);
    expect(sum('10s')).toBe(requests.length);
    expect(sum('minute')).toBe(requests.length);
  });

  test('a window with ragged ends: tiled from 10 s, minutes (and hours once rolled up), exactly the requests in it', async () => {
    const windows = [[end - 47 * MINUTE - 30_000, end - 2 * MINUTE - 40_000], [end - 90_000, end - 50_000], [end - 49 * MINUTE, end]];
    const check = async () => {
      for (const [from, to] of windows) {
        const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${to}`);
        const routes = await apiOk(edge, `/api/v1/apps/shop/routes?from=${from}&to=${to}`);
        const mine = requests.filter((r) => r.time >= from! && r.time < to!);
        const wanted = expected(mine.map((r) => ({ ...r, method: 'GET', thrown: false, instance: '' })));
        expect(summary).toMatchObject({ from, to, until: to, resolution: '10s', requests: mine.length, errors: wanted.errors });
        expect(summary.rps).toBeCloseTo(mine.length / ((to! - from!) / 1000), 12);
        expect(summary.latency.avg).toBeCloseTo(wanted.avg!, 9);
        for (const q of ['p50', 'p95', 'p99'] as const) expect(withinOnePercent(summary.latency[q], wanted[q]!)).toBe(true);
        expect(routes).toMatchObject({ from, to, until: to, resolution: '10s' });
        expect(routes.routes.reduce((s: number, r: any) => s + r.requests, 0)).toBe(mine.length);
      }
    };
    await check();
    // Once the alarm has rolled the past hours up, the same windows give the same figures.
    await ((await edge.store('shop')) as unknown as { maintainNow(): Promise<unknown> }).maintainNow();
    await check();
  });

  test('the live window: 60 s of whole cells ending where every sending instance has reported', async () => {
    const live = await apiOk(edge, '/api/v1/apps/shop/live');
    // Both instances reported up to `end`; their last batch ended there.
    expect(live).toMatchObject({ from: end - MINUTE, to: end, until: end, resolution: '10s' });
    const mine = requests.filter((r) => r.time >= end - MINUTE && r.time < end);
    expect(live.requests).toBe(mine.length);
    expect(live.rps).toBeCloseTo(mine.length / 60, 12);
    const instances = (await apiOk(edge, '/api/v1/apps/shop/instances')).instances;
    expect(instances.map((i: any) => i.reportedUntil)).toEqual([end, end]);
    expect(instances.every((i: any) => typeof i.pid === 'number')).toBe(true);
  });
});

describe('TEN_SECOND_ROUTES off (the default): the whole app in 10 s, routes in minutes', () => {
  test('app-wide reads are 10-second, per-route reads minute-aligned; each exact for the window it names', async () => {
    const edge = await startEdge();
    try {
      const now = Date.now();
      const end = now - (now % S10) - S10;
      const requests = traffic(end, 20 * 60, 2, 9);
      await ingestOk(edge, batchOf('web-1:shop', requests.filter((r) => r.time < end - 10 * MINUTE), end - 10 * MINUTE));
      await ingestOk(edge, batchOf('web-1:shop', requests.filter((r) => r.time >= end - 10 * MINUTE), end));
      const from = end - 15 * MINUTE - 30_000;
      const whole = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${end}`);
      expect(whole).toMatchObject({ from, to: end, resolution: '10s', requests: requests.filter((r) => r.time >= from && r.time < end).length });
      const routes = await apiOk(edge, `/api/v1/apps/shop/routes?from=${from}&to=${end}`);
      const minuteFrom = from - (from % MINUTE);
      const minuteTo = Math.ceil(end / MINUTE) * MINUTE;
      expect(routes).toMatchObject({ from: minuteFrom, to: minuteTo, resolution: 'minute' });
      for (const row of routes.routes) {
        const mine = requests.filter((r) => r.route === row.route && r.time >= minuteFrom && r.time < minuteTo);
        expect(row.requests).toBe(mine.length);
        expect(row.rps).toBeCloseTo(mine.length / ((routes.until - minuteFrom) / 1000), 9);
      }
      const oneRoute = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${end - 15 * MINUTE}&to=${end}&route=/a&metric=requests`);
      expect(oneRoute).toMatchObject({ resolution: 'minute', step: MINUTE });
      const chart = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${end - 15 * MINUTE}&to=${end}&metric=requests`);
      expect(chart).toMatchObject({ resolution: '10s', step: S10 });
      expect(chart.t).toHaveLength(90);
      const live = await apiOk(edge, '/api/v1/apps/shop/live?route=/a');
      expect(live).toMatchObject({ resolution: 'minute', to: end - (end % MINUTE), from: end - (end % MINUTE) - MINUTE });
      expect(live.requests).toBe(requests.filter((r) => r.route === '/a' && r.time >= live.from && r.time < live.to).length);
      // The 10-second table holds the app's rows only.
      expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows.rollup10s).toBe(new Set(requests.map((r) => `${r.time - (r.time % S10)} ${r.status >= 500 ? 5 : 2}`)).size);
    } finally {
      await edge.dispose();
    }
  }, 60_000);
});

describe('the live window follows the slowest sending instance', () => {
  test('an instance behind holds it back; one that stopped sending, or has nothing to report, does not', async () => {
    const edge = await startEdge();
    try {
      // Stopped three minutes ago (its last batch came then, by the store's clock): its old window does not hold the live tiles back.
      const then = Date.now();
      await ingestOk(edge, batchOf('gone:shop', traffic(then - 10_000, 10, 1, 3), then - 10_000));
      await (await edge.store('shop')).setClockOffset(180_000);
      const now = Date.now() + 180_000;
      const t = now - (now % S10);
      await ingestOk(edge, batchOf('fast:shop', traffic(t - 5_000, 60, 5, 1), t - 5_000));
      await ingestOk(edge, batchOf('slow:shop', traffic(t - 25_000, 60, 5, 2), t - 25_000));
      // Quiet: its latest batch (a heartbeat) counted no request, and ended 50 s ago.
      await ingestOk(edge, batchOf('quiet:shop', traffic(t - 80_000, 10, 1, 4), t - 80_000));
      await ingestOk(edge, batchOf('quiet:shop', [], t - 50_000));
      const live = await apiOk(edge, '/api/v1/apps/shop/live');
      expect(live.to).toBe(t - 30_000);
      expect(live.from).toBe(t - 90_000);
      const quiet = (await apiOk(edge, '/api/v1/apps/shop/instances')).instances.find((i: any) => i.instance === 'quiet:shop');
      expect(quiet).toMatchObject({ reportedUntil: t - 50_000, reportedRequests: 0 });
    } finally {
      await edge.dispose();
    }
  }, 60_000);
});

describe('older clients and retention', () => {
  test('minute cells are accepted, counted in minutes and at their minute start in the 10-second table', async () => {
    const edge = await startEdge();
    try {
      const now = Date.now();
      const minute = now - (now % MINUTE) - 5 * MINUTE;
      const old = traffic(minute + MINUTE, 60, 3, 4);
      await ingestOk(edge, batchOf('old:shop', old, minute + MINUTE, MINUTE));
      const batch = batchOf('old:shop', old, minute + MINUTE, MINUTE);
      expect(batch.rollups.every((c) => c.seconds === undefined)).toBe(true);
      const series = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${minute}&to=${minute + MINUTE}&metric=requests`);
      expect(series.requests).toEqual([old.length, null, null, null, null, null]);
      expect((await apiOk(edge, `/api/v1/apps/shop/summary?from=${minute}&to=${minute + MINUTE}`)).requests).toBe(old.length);
      // A 10-second cell must start on 10 seconds; a minute cell on a minute.
      const bad = batchOf('new:shop', traffic(now - S10, 5, 1, 5), now);
      bad.rollups[0]!.minute += 1000;
      const refused = await ingest(edge, bad);
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('expected the start of its 10 seconds');
    } finally {
      await edge.dispose();
    }
  }, 60_000);

  test('10-second rows go after TEN_SECOND_RETENTION_HOURS; the minutes stay', async () => {
    const edge = await startEdge({ bindings: { TEN_SECOND_RETENTION_HOURS: '2' } });
    try {
      const now = Date.now();
      const requests = traffic(now - 100 * MINUTE, 60, 2, 6);
      await ingestOk(edge, batchOf('web:shop', requests, now - 100 * MINUTE));
      const store = (await edge.store('shop')) as unknown as { setClockOffset(ms: number): Promise<number>; maintainNow(): Promise<any> };
      await store.setClockOffset(30 * MINUTE);
      const report = await store.maintainNow();
      expect(report.deleted.tenSeconds).toBeGreaterThan(0);
      const records = await storedRecords(edge);
      expect(records.filter((r) => r.type === 'rollup' && r.resolution === '10s')).toEqual([]);
      expect(records.filter((r) => r.type === 'rollup' && r.resolution === 'minute').reduce((s, r) => s + r.count, 0)).toBe(requests.length);
      expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows.rollup10s).toBe(0);
    } finally {
      await edge.dispose();
    }
  }, 60_000);
});
