import { describe, expect, test } from 'bun:test';
import { requiredSince, type AlertData, type AlertProfile } from '../../../src/core/alerts/alert-data.ts';
import { AlertDataIndex } from '../../../src/core/alerts/alert-data-index.ts';
import { computeMetricValue } from '../../../src/core/alerts/metric-value.ts';
import { SketchCache } from '../../../src/core/alerts/sketch-cache.ts';
import type { AlertMetric, AlertRule } from '../../../src/core/alerts/rule.ts';
import { RollupTable, toWire } from '../../../src/core/rollup.ts';
import { QuantileSketch } from '../../../src/core/sketch.ts';
import { exactQuantile, seededRandom } from '../../support/random.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;

interface Request { time: number; method: string; route: string; status: number; duration: number }

// 30 minutes of traffic on five routes, fixed by a seed.
const random = seededRandom(42);
const ROUTES = ['/users/:id', '/orders', '/checkout', '/health', '/search'];
const requests: Request[] = [];
for (let i = 0; i < 20_000; i++) {
  const route = ROUTES[Math.floor(random() * ROUTES.length)]!;
  const roll = random();
  requests.push({
    time: T0 + Math.floor(random() * 30 * MIN),
    method: random() < 0.7 ? 'GET' : 'POST',
    route,
    status: roll < 0.05 ? 503 : roll < 0.12 ? 404 : 200,
    duration: Math.exp(2 + random() * 4) * (route === '/checkout' ? 3 : 1),
  });
}
const table = new RollupTable();
for (const r of requests) table.record(r.time, r.method, r.route, r.status, r.duration, 100);
const liveCells = table.cellsNow();
const wireCells = liveCells.map(toWire);
const END = T0 + 30 * MIN;

const rule = (metric: AlertMetric, extra: Partial<AlertRule> = {}): AlertRule => ({ id: 'r', name: 'r', metric, condition: 'gt', threshold: 0, severity: 'info', ...extra });
const data = (overrides: Partial<AlertData> = {}): AlertData => ({ cells: liveCells, profiles: [], samples: [], lastSeen: {}, ...overrides });

/** The expected values, computed from the raw requests without the sketch or the rollups. */
function expected(now: number, duration: number, route?: string, method?: string) {
  const start = Math.floor((now - duration) / MIN) * MIN;
  const inWindow = requests.filter((r) => r.time >= start && r.time <= now && (route === undefined || r.route === route) && (method === undefined || r.method === method));
  const sorted = inWindow.map((r) => r.duration).sort((a, b) => a - b);
  return {
    count: inWindow.length,
    responseTime: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    errorRate: inWindow.filter((r) => r.status >= 500).length / inWindow.length,
    requestRate: inWindow.length / ((now - start) / 1000),
    p50: exactQuantile(sorted, 0.5),
    p95: exactQuantile(sorted, 0.95),
    p99: exactQuantile(sorted, 0.99),
  };
}

describe('computeMetricValue from rollup cells', () => {
  const cases: Array<[string, number, number, string?, string?]> = [
    ['1 min window at a minute boundary', END, MIN],
    ['5 min window mid-minute', END + 20_000, 5 * MIN],
    ['15 min window, one route', END, 15 * MIN, '/checkout'],
    ['10 min window, one route and method', END + 59_000, 10 * MIN, '/users/:id', 'POST'],
    ['whole half hour, one method', END, 30 * MIN, undefined, 'GET'],
  ];
  for (const [name, now, duration, route, method] of cases) {
    test(name, () => {
      const want = expected(now, duration, route, method);
      expect(want.count).toBeGreaterThan(50);
      for (const cells of [liveCells, wireCells]) {
        const read = (metric: AlertMetric) => computeMetricValue(rule(metric, { duration, route, method }), data({ cells }), now);
        expect(read('responseTime').value!).toBeCloseTo(want.responseTime, 9);
        expect(read('responseTime').requests).toBe(want.count);
        expect(read('errorRate').value!).toBeCloseTo(want.errorRate, 12);
        expect(read('requestRate').value!).toBeCloseTo(want.requestRate, 9);
        for (const q of ['p50', 'p95', 'p99'] as const) {
          const value = read(q).value!;
          expect(Math.abs(value - want[q]) / want[q]).toBeLessThanOrEqual(0.01 + 1e-9);
        }
      }
    });
  }

  test('a window reads only its minutes: traffic before it does not count', () => {
    const old = new RollupTable();
    old.record(T0 - 10 * MIN, 'GET', '/x', 500, 5_000, 0);
    old.record(T0 + 30_000, 'GET', '/x', 200, 10, 0);
    const value = computeMetricValue(rule('errorRate', { duration: MIN }), data({ cells: old.cellsNow() }), T0 + MIN);
    expect(value).toEqual({ value: 0, requests: 1 });
  });

  test('no requests is no data for latency and error rate, and 0 req/s for request rate', () => {
    const empty = data({ cells: [] });
    for (const metric of ['responseTime', 'p50', 'p95', 'p99', 'errorRate'] as const) {
      expect(computeMetricValue(rule(metric), empty, END).value).toBeNull();
    }
    expect(computeMetricValue(rule('requestRate'), empty, END)).toEqual({ value: 0, requests: 0 });
  });

  test('fewer than minRequests requests is no data', () => {
    const want = expected(END, MIN, '/health', 'POST');
    const at = (minRequests: number) => computeMetricValue(rule('errorRate', { route: '/health', method: 'POST', minRequests }), data(), END).value;
    expect(at(want.count)).toBeCloseTo(want.errorRate, 12);
    expect(at(want.count + 1)).toBeNull();
  });

  test('an unknown route is no data, not an error', () => {
    expect(computeMetricValue(rule('p95', { route: '/nope' }), data(), END).value).toBeNull();
  });

  test('an index built once answers every rule the same as fresh data does', () => {
    const index = new AlertDataIndex(data({ cells: wireCells }));
    for (const metric of ['responseTime', 'p95', 'errorRate', 'requestRate'] as const) {
      for (const duration of [MIN, 5 * MIN]) {
        const r = rule(metric, { duration, route: '/orders' });
        expect(computeMetricValue(r, index, END)).toEqual(computeMetricValue(r, data(), END));
      }
    }
  });
});

describe('computeMetricValue from system profiles', () => {
  const profiles: AlertProfile[] = [];
  const perInstance: Record<string, number[]> = { a: [], b: [], c: [] };
  const rand = seededRandom(9);
  for (let s = 0; s < 600; s += 5) {
    for (const [instance, base] of [['a', 100], ['b', 400], ['c', 250]] as const) {
      const rss = (base + rand() * 50) * 1024 * 1024;
      profiles.push({ timestamp: T0 + s * 1000, instance, rss, cpuPercent: base / 10 + rand(), eventLoopLagMs: base / 100 });
      if (s * 1000 >= 5 * MIN) perInstance[instance]!.push(rss);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const now = T0 + 10 * MIN;

  test('memoryUsage: each instance averaged over the window, the highest counts', () => {
    const value = computeMetricValue(rule('memoryUsage', { duration: 5 * MIN }), data({ profiles }), now).value!;
    expect(value).toBeCloseTo(mean(perInstance.b!), 3);
    const onlyC = computeMetricValue(rule('memoryUsage', { duration: 5 * MIN, instance: 'c' }), data({ profiles }), now).value!;
    expect(onlyC).toBeCloseTo(mean(perInstance.c!), 3);
  });

  test('cpuUsage and eventLoopLag read their own fields; profiles without the field are skipped', () => {
    const partial = [...profiles, { timestamp: now - 1000, instance: 'd', rss: 1e12 }];
    expect(computeMetricValue(rule('eventLoopLag', { duration: 5 * MIN }), data({ profiles: partial }), now).value).toBe(4);
    const cpu = computeMetricValue(rule('cpuUsage', { duration: 5 * MIN }), data({ profiles: partial }), now).value!;
    expect(cpu).toBeGreaterThan(40);
    expect(cpu).toBeLessThan(41);
  });

  test('no profile in the window is no data', () => {
    expect(computeMetricValue(rule('memoryUsage'), data({ profiles }), T0 + 60 * MIN).value).toBeNull();
    expect(computeMetricValue(rule('memoryUsage', { instance: 'zz' }), data({ profiles }), now).value).toBeNull();
  });
});

describe('heartbeat', () => {
  const lastSeen = { 'web-1': T0 - 7 * MIN, 'web-2': T0 - 2 * MIN };
  test('silence is measured from the most recent instance, or from the named one', () => {
    expect(computeMetricValue(rule('heartbeat'), data({ lastSeen }), T0).value).toBe(2 * MIN);
    expect(computeMetricValue(rule('heartbeat', { instance: 'web-1' }), data({ lastSeen }), T0).value).toBe(7 * MIN);
  });
  test('never seen is no data', () => {
    expect(computeMetricValue(rule('heartbeat'), data(), T0).value).toBeNull();
    expect(computeMetricValue(rule('heartbeat', { instance: 'web-9' }), data({ lastSeen }), T0).value).toBeNull();
    // An instance named after an Object.prototype member is one like any other (it read Object's constructor: NaN).
    expect(computeMetricValue(rule('heartbeat', { instance: 'constructor' }), data({ lastSeen }), T0).value).toBeNull();
    expect(computeMetricValue(rule('heartbeat', { instance: 'constructor' }), data({ lastSeen: { constructor: T0 - MIN } }), T0).value).toBe(MIN);
  });
});

describe('requiredSince', () => {
  test('is the start of the longest enabled window (heartbeat reads no window)', () => {
    const rules = [rule('p95', { duration: 5 * MIN }), rule('errorRate', { duration: 60 * MIN, enabled: false }), rule('heartbeat', { duration: 600 * MIN }), rule('responseTime')];
    expect(requiredSince(rules, T0 + 30_000)).toBe(T0 - 5 * MIN);
  });
});

test('custom rules get their value from the evaluator, not from computeMetricValue', () => {
  expect(() => computeMetricValue(rule('custom', { customEvaluator: () => true }), data(), END)).toThrow(TypeError);
});

describe('SketchCache between ticks', () => {
  test('gives the values of a fresh decode, also after a late batch changed a cell', () => {
    const cache = new SketchCache();
    const late = new RollupTable();
    for (const r of requests) late.record(r.time, r.method, r.route, r.status, r.duration, 100);
    const p99 = rule('p99', { duration: 5 * MIN, route: '/checkout' });
    const appWide = rule('p50', { duration: 10 * MIN });
    const before = (r: AlertRule) => computeMetricValue(r, new AlertDataIndex(data({ cells: late.cellsNow().map(toWire) }), cache), END);
    const p99Before = before(p99);
    expect(p99Before).toEqual(computeMetricValue(p99, data(), END));
    expect(before(appWide)).toEqual(computeMetricValue(appWide, data(), END));
    expect(cache.minutes).toBeGreaterThan(0);
    // A late batch of very slow requests lands in an already cached minute.
    for (let i = 0; i < 50; i++) late.record(END - 2 * MIN, 'POST', '/checkout', 200, 60_000, 0);
    const fresh = data({ cells: late.cellsNow().map(toWire) });
    const after = computeMetricValue(p99, new AlertDataIndex(fresh, cache), END);
    expect(after).toEqual(computeMetricValue(p99, fresh, END));
    expect(after.value).toBeGreaterThan(p99Before.value! * 10);
    expect(computeMetricValue(appWide, new AlertDataIndex(fresh, cache), END)).toEqual(computeMetricValue(appWide, fresh, END));
    cache.prune(END);
    expect(cache.minutes).toBe(0);
  });

  test('a window holding whole hours reads them as hours, tick after tick, with the values of every minute merged', () => {
    // Four hours of traffic from 11:17 on one route; windows of 2 h and 3 h 10 min, read at five ticks.
    const hours = new RollupTable();
    const start = T0 - 43 * MIN;
    for (let i = 0; i < 8_000; i++) hours.record(start + Math.floor(random() * 240 * MIN), 'GET', '/orders', 200, Math.exp(2 + random() * 5), 0);
    const cells = hours.cellsNow().map(toWire);
    const cache = new SketchCache();
    for (let tick = 0; tick < 5; tick++) {
      const now = start + 200 * MIN + tick * MIN + 7_000;
      const index = new AlertDataIndex(data({ cells }), cache);
      for (const duration of [120 * MIN, 190 * MIN]) {
        const from = Math.floor((now - duration) / MIN) * MIN;
        // Independently: every minute's sketch in the window merged, and its requests counted.
        const inWindow = cells.filter((cell) => cell.minute >= from && cell.minute <= now);
        const merged = new QuantileSketch();
        for (const cell of inWindow) merged.merge(QuantileSketch.fromBase64(cell.sketch as string));
        expect(merged.count).toBe(inWindow.reduce((sum, cell) => sum + cell.count, 0));
        for (const q of ['p50', 'p95', 'p99'] as const) {
          expect(computeMetricValue(rule(q, { duration, route: '/orders' }), index, now)).toEqual({ value: merged.quantile(Number(q.slice(1)) / 100), requests: merged.count });
        }
      }
    }
    // Hours were kept between ticks: under their first minute, beside that minute's own entries.
    expect(cache.minutes).toBeGreaterThan(0);
  });
});
