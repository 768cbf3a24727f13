// The same traffic through one store and through four shards answers the same, and both answer
// what the raw requests say: summaries (a whole window and one with ragged ends, tiled from
// 10-second rows and minutes), routes, timeseries in 10-second and minute buckets, every detail
// listing page by page, the live tiles, and alert transitions (shard 0 evaluates over every shard's
// data). Ten minutes from eight instances, two in each shard, in 10-second cells as the preload
// sends them: slow minutes, failing minutes, a memory climb, one instance going silent. Durations
// are multiples of 1/8 ms, so every sum is exact in any order and the two edges must agree to the bit.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable, TEN_SECONDS_MS } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch, DetailSample, Span } from '../../src/core/wire-format.ts';
import { shardName, shardOf } from '../../src/edge/shards.ts';
import { seededRandom } from '../support/random.ts';
import { api, apiOk, ingestOk, KEYS, startEdge } from './support/edge.ts';
import { expected, withinOnePercent, type RawRequest } from './support/traffic.ts';

const MINUTE = 60_000;
const S10 = TEN_SECONDS_MS;
/** Eight instances, two in each of four shards. */
const INSTANCES = (() => {
  const names: string[] = [];
  const perShard = [0, 0, 0, 0];
  for (let n = 0; names.length < 8; n++) {
    const name = `node-${n}:${7000 + n}`;
    if (perShard[shardOf(name, 4)]! < 2) {
      perShard[shardOf(name, 4)]!++;
      names.push(name);
    }
  }
  return names;
})();
/** Stops sending after minute 3. */
const SILENT = INSTANCES[5]!;
const start = (() => {
  const t = Date.now() - 40 * MINUTE;
  return t - (t % MINUTE);
})();
const end = start + 10 * MINUTE;
const RULES = [
  { id: 'slow-p95', name: 'Slow p95', metric: 'p95', condition: 'gt', threshold: 400, severity: 'critical', duration: 2 * MINUTE },
  { id: 'slow-mean', name: 'Slow mean', metric: 'responseTime', condition: 'gt', threshold: 150, severity: 'warning', duration: MINUTE },
  { id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.1, severity: 'critical', duration: MINUTE },
  { id: 'orders-rate', name: 'Orders rate', metric: 'requestRate', condition: 'lt', threshold: 1, severity: 'info', duration: 2 * MINUTE, route: '/orders' },
  { id: 'memory', name: 'Memory', metric: 'memoryUsage', condition: 'gt', threshold: 3e8, severity: 'warning', duration: MINUTE },
];

let one: LocalEdge;
let four: LocalEdge;
const batches: Batch[] = [];
/** Every request sent, as the test's own record: what the answers are checked against. */
const requests: RawRequest[] = [];
const samples: DetailSample[] = [];
const spans: Span[] = [];

/** A duration in whole eighths of a millisecond: exact in binary, so sums do not depend on their order. */
const eighths = (ms: number) => Math.round(ms * 8) / 8;

/** Minute m of instance i: its requests in 10-second cells, detail and a profile. */
function batchOf(i: number, m: number, random: () => number): Batch | null {
  const instance = INSTANCES[i]!;
  if (instance === SILENT && m >= 4) return null;
  const minute = start + m * MINUTE;
  const table = new RollupTable(S10);
  const mySamples: DetailSample[] = [];
  const mySpans: Span[] = [];
  for (let r = 0; r < 20 + i * 3; r++) {
    const route = ['/users/:id', '/orders', '/search'][r % 3]!;
    const method = route === '/orders' ? 'POST' : 'GET';
    const slow = m >= 2 && m <= 4;
    const failing = m >= 6 && m <= 7 && route === '/search';
    const duration = eighths(slow ? 300 + random() * 600 : 10 + random() * 120);
    const status = failing ? 503 : random() < 0.03 ? 404 : 200;
    const at = minute + 500 + Math.floor(random() * 58_000);
    table.record(at, method, route, status, duration, 256, false);
    requests.push({ time: at, method, route, status, duration, thrown: false, instance });
    if (r % 4 === 0) {
      const traceId = newTraceId();
      const spanId = newSpanId();
      mySamples.push({ timestamp: at, method, path: route.replace(':id', String(r)), route, statusCode: status, duration, traceId, spanId });
      mySpans.push({ traceId, spanId, name: `${method} ${route}`, kind: 'server', startTime: at, duration, status: status >= 500 ? 'error' : 'ok', tags: { 'http.route': route, 'http.status_code': status }, logs: [] });
    }
  }
  samples.push(...mySamples);
  spans.push(...mySpans);
  return {
    version: 1,
    batchId: `exact-${instance.replace(':', '-')}-${minute}`,
    identity: { app: 'shop', service: 'api', instance, pid: 100 + i, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + MINUTE },
    rollups: table.drain(),
    samples: mySamples,
    spans: mySpans,
    profiles: [{ timestamp: minute + 30_000, rss: 1e8 + (m >= 5 ? 3e8 : 0) + i, heapUsed: 5e7, heapTotal: 6e7, cpuPercent: 10 + m, eventLoopLagMs: 1, inFlight: i }],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

const evaluateAt = (m: number) => start + m * MINUTE;
const named = (instance: string) => ({ headers: { 'x-bun-apm-instance': encodeURIComponent(instance) } });
const inWindow = (from: number, to: number) => requests.filter((r) => r.time >= from && r.time < to);

beforeAll(async () => {
  const rules = JSON.stringify(RULES);
  [one, four] = await Promise.all([startEdge({ bindings: { ALERT_RULES: rules } }), startEdge({ bindings: { ALERT_RULES: rules, SHARDS: '4' } })]);
  // A minute cron's tick first: while ticks come, they drive evaluation and the stores' own alarms
  // leave it to them (an alarm evaluating the real current minute first would skip the older ones).
  for (const edge of [one, four]) await (await edge.store('shop')).tick(evaluateAt(0), 'shop');
  const random = seededRandom(5);
  for (let m = 0; m < 10; m++) for (let i = 0; i < INSTANCES.length; i++) {
    const batch = batchOf(i, m, random);
    if (batch) batches.push(batch);
  }
  for (const batch of batches) {
    await ingestOk(one, batch, named(batch.identity.instance));
    await ingestOk(four, batch, named(batch.identity.instance));
  }
  // Each minute evaluated in order, as the stores' alarms (or a minute cron) would.
  for (let m = 1; m <= 12; m++) {
    for (const edge of [one, four]) await (await edge.store('shop')).tick(evaluateAt(m), 'shop');
  }
}, 120_000);

afterAll(async () => {
  await one?.dispose();
  await four?.dispose();
});

/** GETs `path` of both edges. */
async function both(path: string): Promise<[any, any]> {
  return [await apiOk(one, path), await apiOk(four, path)];
}

describe('one store and four shards answer alike, and as the requests say', () => {
  test('the traffic is spread over every shard, and each shard holds only its instances', async () => {
    expect(new Set(INSTANCES.map((i) => shardOf(i, 4))).size).toBe(4);
    for (let k = 0; k < 4; k++) {
      const stored = (await (await four.store(shardName('shop', k))).instances()).map((i: any) => i.instance).sort();
      expect(stored).toEqual(INSTANCES.filter((i) => shardOf(i, 4) === k).sort());
    }
  });

  test('summaries: the whole window, and one with ragged ends tiled from 10-second rows and minutes', async () => {
    for (const [from, to] of [[start, end], [start + 90_000, start + 7 * MINUTE + 20_000]] as const) {
      const [a, b] = await both(`/api/v1/apps/shop/summary?from=${from}&to=${to}`);
      expect(b).toEqual(a);
      const mine = inWindow(from, to);
      const wanted = expected(mine);
      expect(a).toMatchObject({ from, to, until: to, resolution: '10s', requests: mine.length, errors: wanted.errors });
      expect(a.latency.avg).toBe(mine.reduce((sum, r) => sum + r.duration, 0) / mine.length);
      expect(a.latency.max).toBe(wanted.max);
      for (const q of ['p50', 'p95', 'p99'] as const) expect(withinOnePercent(a.latency[q], wanted[q]!)).toBe(true);
    }
  });

  test('routes: the same rows, each the requests of its route', async () => {
    const [a, b] = await both(`/api/v1/apps/shop/routes?from=${start}&to=${end}`);
    expect(b).toEqual(a);
    expect(a.routes.map((row: any) => `${row.method} ${row.route}`).sort()).toEqual(['GET /search', 'GET /users/:id', 'POST /orders']);
    for (const row of a.routes) {
      const mine = requests.filter((r) => r.route === row.route && r.method === row.method);
      expect(row.requests).toBe(mine.length);
      expect(row.errors).toBe(expected(mine).errors);
      expect(withinOnePercent(row.latency.p95, expected(mine).p95!)).toBe(true);
    }
  });

  test('timeseries in 10-second and minute buckets: the same points, each bucket its requests', async () => {
    for (const [step, resolution, points] of [[S10, '10s', 60], [MINUTE, 'minute', 10]] as const) {
      const [a, b] = await both(`/api/v1/apps/shop/timeseries?from=${start}&to=${end}&step=${step}&metric=requests,errors,p95,p99`);
      expect(b).toEqual(a);
      expect(a).toMatchObject({ resolution, step, from: start, to: end });
      expect(a.t).toHaveLength(points);
      a.t.forEach((t: number, i: number) => {
        const mine = inWindow(t, t + step);
        expect(a.requests[i]).toBe(mine.length === 0 ? null : mine.length);
        if (mine.length === 0) return;
        expect(a.errors[i]).toBe(expected(mine).errors);
        expect(withinOnePercent(a.p95[i], expected(mine).p95!)).toBe(true);
      });
    }
    // A route's chart (per-route 10-second rows are off by default: minutes).
    const [a, b] = await both(`/api/v1/apps/shop/timeseries?from=${start}&to=${end}&route=/orders&metric=requests`);
    expect(b).toEqual(a);
    expect(a.resolution).toBe('minute');
    a.t.forEach((t: number, i: number) => {
      const n = requests.filter((r) => r.route === '/orders' && r.time >= t && r.time < t + MINUTE).length;
      expect(a.requests[i]).toBe(n === 0 ? null : n);
    });
  });

  test('samples and traces, page by page: every record once, in order, the same on both', async () => {
    const walk = async (edge: LocalEdge, path: string) => {
      const items: any[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 200; page++) {
        const body: any = await apiOk(edge, `${path}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(body.items.length).toBeLessThanOrEqual(20);
        items.push(...body.items);
        cursor = body.nextCursor;
        if (cursor === null) return items;
      }
      throw new Error(`${path}: more pages than records`);
    };
    const sampleKey = (s: any) => `${s.timestamp} ${s.traceId} ${s.duration} ${s.statusCode}`;
    const wantedSamples = samples.map(sampleKey).sort();
    for (const edge of [one, four]) {
      const listed = await walk(edge, `/api/v1/apps/shop/samples?from=${start}&to=${end}&limit=20`);
      expect(listed.map(sampleKey).sort()).toEqual(wantedSamples);
      listed.slice(1).forEach((s, i) => expect(s.timestamp).toBeLessThanOrEqual(listed[i].timestamp));
    }
    const traceKey = (t: any) => `${t.traceId} ${t.startTime} ${t.duration} ${t.spanCount} ${t.error}`;
    const wantedTraces = spans.map((s) => `${s.traceId} ${s.startTime} ${s.duration} 1 ${s.status === 'error'}`).sort();
    for (const sort of ['recent', 'slowest']) {
      const [a, b] = [await walk(one, `/api/v1/apps/shop/traces?from=${start}&to=${end}&limit=20&sort=${sort}`), await walk(four, `/api/v1/apps/shop/traces?from=${start}&to=${end}&limit=20&sort=${sort}`)];
      expect(a.map(traceKey).sort()).toEqual(wantedTraces);
      expect(b.map(traceKey).sort()).toEqual(wantedTraces);
      const key = (t: any) => (sort === 'slowest' ? t.duration : t.startTime);
      for (const list of [a, b]) list.slice(1).forEach((t, i) => expect(key(t)).toBeLessThanOrEqual(key(list[i])));
    }
  });

  test('alert transitions: the same notifications, rule by rule and minute by minute', async () => {
    const history = async (edge: LocalEdge) => (await apiOk(edge, '/api/v1/apps/shop/alerts', KEYS.admin)).history
      .map((n: any) => ({ rule: n.ruleId, state: n.state, at: n.timestamp, value: n.value, instance: n.instance }))
      .sort((a: any, b: any) => a.at - b.at || a.rule.localeCompare(b.rule) || a.state.localeCompare(b.state));
    const [a, b] = [await history(one), await history(four)];
    expect(a.length).toBeGreaterThanOrEqual(6);
    expect(new Set(a.map((n: any) => n.rule))).toEqual(new Set(RULES.map((r) => r.id)));
    expect(b).toEqual(a);
    // The error rule fired on the failing minutes (6 and 7: /search is a third of the requests), and only then.
    const fired = a.filter((n: any) => n.rule === 'errors' && n.state === 'firing');
    expect(fired).toHaveLength(1);
    expect(fired[0].at).toBeGreaterThanOrEqual(evaluateAt(6));
    expect(fired[0].at).toBeLessThanOrEqual(evaluateAt(8));
  });

  test('shards other than 0 hold no alerting of their own', async () => {
    const response = await api(four, '/api/v1/apps/shop/alerts', KEYS.admin);
    expect(response.status).toBe(200);
    const store = await four.store('shop#1');
    expect((await store.status()).lastEvaluation).toBeNull();
  });

  test('each shard rolls its own hours up; the answers stay the same', async () => {
    const before = await both(`/api/v1/apps/shop/summary?from=${start}&to=${end}`);
    for (const edge of [one, four]) {
      for (let k = 0; k < (edge === one ? 1 : 4); k++) await ((await edge.store(shardName('shop', k))) as unknown as { maintainNow(): Promise<unknown> }).maintainNow();
    }
    const after = await both(`/api/v1/apps/shop/summary?from=${start}&to=${end}`);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[0]);
  });
});

describe('the live tiles over shards', () => {
  test('the window ends where the slowest instance of any shard reported; requests in flight summed over the latest profiles', async () => {
    // The blog app (the same two edges; SHARDS 4 covers every app) sends now: each instance's last
    // batch window ends i seconds before the current 10 seconds, so the slowest names the horizon.
    const now = Date.now();
    const t = now - (now % S10);
    const random = seededRandom(11);
    const sent: RawRequest[] = [];
    for (const [i, instance] of INSTANCES.entries()) {
      const until = t - 1000 * (i + 1);
      const table = new RollupTable(S10);
      for (let r = 0; r < 40; r++) {
        const at = until - 90_000 + Math.floor(random() * 90_000);
        const route = r % 2 === 0 ? '/a' : '/b';
        const duration = eighths(5 + random() * 200);
        const status = random() < 0.1 ? 500 : 200;
        table.record(at, 'GET', route, status, duration, 10, false);
        sent.push({ time: at, method: 'GET', route, status, duration, thrown: false, instance });
      }
      const batch: Batch = {
        version: 1, batchId: `live-${i}-${t}`,
        identity: { app: 'blog', service: 'api', instance, pid: 200 + i, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
        window: { start: until - 90_000, end: until },
        rollups: table.drain(), samples: [], spans: [],
        // An older profile, then the latest: only the latest counts.
        profiles: [
          { timestamp: until - 30_000, rss: 1e8, heapUsed: 5e7, heapTotal: 6e7, cpuPercent: 5, eventLoopLagMs: 1, inFlight: 100 },
          { timestamp: until - 500, rss: 1e8, heapUsed: 5e7, heapTotal: 6e7, cpuPercent: 5, eventLoopLagMs: 1, inFlight: i + 1 },
        ],
        dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
      };
      for (const edge of [one, four]) await ingestOk(edge, batch, { key: KEYS.blogIngest, ...named(instance) });
    }
    // No other read first: the live read folds what was just taken.
    const read = (edge: LocalEdge, query = '') => apiOk(edge, `/api/v1/apps/blog/live${query}`, KEYS.blogRead);
    const [a, b] = [await read(one), await read(four)];
    expect(b).toEqual(a);
    const horizon = t - 1000 * INSTANCES.length;
    const to = horizon - (horizon % S10);
    expect(a).toMatchObject({ from: to - MINUTE, to, until: to, resolution: '10s' });
    const mine = sent.filter((r) => r.time >= to - MINUTE && r.time < to);
    expect(a.requests).toBe(mine.length);
    expect(a.errors).toBe(expected(mine).errors);
    expect(a.latency.avg).toBe(mine.reduce((sum, r) => sum + r.duration, 0) / mine.length);
    expect(a.inFlight).toBe(INSTANCES.reduce((sum, _, i) => sum + i + 1, 0));
    // One route's tiles: its last whole minute (no per-route 10-second rows by default).
    const [ra, rb] = [await read(one, '?route=/a'), await read(four, '?route=/a')];
    expect(rb).toEqual(ra);
    const minuteTo = horizon - (horizon % MINUTE);
    expect(ra).toMatchObject({ resolution: 'minute', from: minuteTo - MINUTE, to: minuteTo });
    expect(ra.requests).toBe(sent.filter((r) => r.route === '/a' && r.time >= minuteTo - MINUTE && r.time < minuteTo).length);
  }, 60_000);
});
