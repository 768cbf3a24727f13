import { describe, expect, test } from 'bun:test';
import { routeTable } from '../../../src/core/query/routes.ts';
import { summarise } from '../../../src/core/query/summary.ts';
import { RollupTable, type LiveCell } from '../../../src/core/rollup.ts';
import { exactQuantile } from '../../support/random.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = 60_000;

function cells(records: Array<[offset: number, method: string, route: string, status: number, ms: number]>): LiveCell[] {
  const table = new RollupTable();
  for (const [offset, method, route, status, ms] of records) table.record(T0 + offset, method, route, status, ms, 1, status === 500);
  return table.cellsNow();
}

describe('summarise', () => {
  const data = cells([
    [0, 'GET', '/a', 200, 10], [1, 'GET', '/a', 200, 20], [2, 'GET', '/a', 404, 30], [3, 'POST', '/b', 503, 40],
    [MINUTE, 'GET', '/a', 500, 50], [2 * MINUTE, 'GET', '/a', 200, 1_000],
  ]);

  test('counts what lies in [from, to) and nothing else', () => {
    const s = summarise(data, { app: 'shop', from: T0, to: T0 + 2 * MINUTE });
    expect(s).toMatchObject({ app: 'shop', from: T0, to: T0 + 2 * MINUTE, requests: 5, errors: 2, clientErrors: 1, apdexThresholdMs: 500 });
    expect(s.errorRate).toBeCloseTo(0.4, 12);
    expect(s.rps).toBeCloseTo(5 / 120, 12);
    expect(s.latency.avg).toBeCloseTo(30, 12);
    expect(s.latency.max).toBe(50);
    expect(s.latency.p50).toBeCloseTo(exactQuantile([10, 20, 30, 40, 50], 0.5), 0);
    expect(s.apdex).toBeCloseTo(3 / 5, 12);
  });

  test('rates divide by the time the data covers (until), and the window is echoed', () => {
    const s = summarise(data, { app: 'shop', from: T0, to: T0 + 3 * MINUTE, until: T0 + 2 * MINUTE + 30_000, resolution: 'minute' });
    expect(s).toMatchObject({ from: T0, to: T0 + 3 * MINUTE, until: T0 + 2 * MINUTE + 30_000, resolution: 'minute', requests: 6 });
    expect(s.rps).toBeCloseTo(6 / 150, 12);
    expect(summarise(data, { app: 'shop', from: T0, to: T0 + MINUTE, until: T0 }).rps).toBe(0);
  });

  test('an empty window: zero counts, null rates and latencies', () => {
    const s = summarise(data, { app: 'shop', from: T0 + 10 * MINUTE, to: T0 + 11 * MINUTE });
    expect(s).toMatchObject({ requests: 0, errors: 0, rps: 0, errorRate: null, apdex: null, latency: { avg: null, p50: null, p95: null, p99: null, max: null } });
  });
});

describe('routeTable', () => {
  const data = cells([
    [0, 'GET', '/fast', 200, 1], [1, 'GET', '/fast', 200, 2], [2, 'GET', '/fast', 200, 3],
    [0, 'GET', '/slow', 200, 900], [1, 'GET', '/slow', 503, 800],
    [0, 'POST', '/fast', 200, 50],
    [0, 'GET', 'other', 200, 5],
  ]);
  const window = { from: T0, to: T0 + MINUTE };

  test('one row per method and route, busiest first by default (ties by route), `other` flagged', () => {
    const rows = routeTable(data, window);
    expect(rows.map((r) => `${r.method} ${r.route}`)).toEqual(['GET /fast', 'GET /slow', 'POST /fast', 'GET other']);
    expect(rows[1]).toMatchObject({ requests: 2, errors: 1, errorRate: 0.5, overflow: false });
    expect(rows.find((r) => r.route === 'other')!.overflow).toBe(true);
    expect(rows[0]!.rps).toBeCloseTo(3 / 60, 12);
    expect(routeTable(data, { ...window, until: T0 + 30_000 })[0]!.rps).toBeCloseTo(3 / 30, 12);
  });

  test('sorts by any column, either way, and limits', () => {
    expect(routeTable(data, { ...window, sort: 'p95' }).map((r) => r.route)[0]).toBe('/slow');
    expect(routeTable(data, { ...window, sort: 'p95', order: 'asc' }).map((r) => r.route)[0]).toBe('/fast');
    expect(routeTable(data, { ...window, sort: 'route' }).map((r) => r.route)).toEqual(['/fast', '/fast', '/slow', 'other']);
    expect(routeTable(data, { ...window, sort: 'errorRate', limit: 1 })).toHaveLength(1);
  });
});
