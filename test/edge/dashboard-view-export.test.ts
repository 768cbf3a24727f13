// The dashboard's Export JSON, in workerd: someone signed in to the dashboard (no read key) gets
// the page's figures as a file, counted as the API counts them, filtered as the page is; and the
// routes table of an app with more routes than it shows says so (the file holds them all).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { seededRandom } from '../support/random.ts';
import { ROUTES_SHOWN } from '../../src/core/dashboard/data.ts';
import { apiOk, ingestOk, KEYS, startEdge } from './support/edge.ts';

const DASHBOARD_KEY = 'dash-key-export-0123456789';
const MINUTE = 60_000;
const random = seededRandom(31);
/** Requests per method, route and status, drawn here so no figure below is written by hand. */
const sent = [
  { method: 'GET', route: '/users/:id', status: 200, count: 10 + Math.floor(random() * 30) },
  { method: 'DELETE', route: '/users/:id', status: 204, count: 2 + Math.floor(random() * 9) },
  { method: 'GET', route: '/users/:id', status: 503, count: 1 + Math.floor(random() * 5) },
  { method: 'POST', route: '/orders', status: 422, count: 1 + Math.floor(random() * 7) },
];
const total = (rows = sent) => rows.reduce((sum, row) => sum + row.count, 0);
const minute = Date.now() - (Date.now() % MINUTE) - 2 * MINUTE;

function batch(): Batch {
  const table = new RollupTable();
  for (const { method, route, status, count } of sent) {
    for (let i = 0; i < count; i++) table.record(minute + 1_000 + i * 50, method, route, status, 3 + i, 100);
  }
  return {
    version: 1, batchId: `view-export-${minute}`,
    identity: { app: 'shop', service: 'api', instance: 'host-1:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 10_000 }, rollups: table.drain(), samples: [], spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

let edge: LocalEdge;
const get = (path: string, headers: Record<string, string> = { 'x-api-key': DASHBOARD_KEY }) => fetch(new URL(path, edge.url), { headers });
const sum = (column: Array<number | null> | undefined) => (column ?? []).reduce<number>((s, n) => s + (n ?? 0), 0);

beforeAll(async () => {
  edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
  await ingestOk(edge, batch());
}, 60_000);
afterAll(async () => {
  await edge?.dispose();
});

describe('Export JSON from the dashboard', () => {
  test('the page links it; the file holds the range\'s summary, routes and charts, as the API counts them', async () => {
    const page = await (await get('/performance?app=shop&range=6h')).text();
    expect(page).toContain('<a class="export" href="/performance/export.json?app=shop&range=6h" data-page-link download="" ');

    const response = await get('/performance/export.json?app=shop&range=6h');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="bun-apm-shop-6h-\d{8}T\d{4}Z\.json"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const file = await response.json() as any;
    expect([file.type, file.version, file.app, file.range, file.route, file.method]).toEqual(['bun-apm.dashboard-view', 1, 'shop', '6h', null, null]);

    const errors = sent.filter((row) => row.status >= 500);
    const clientErrors = sent.filter((row) => row.status >= 400 && row.status < 500);
    expect([file.summary.requests, file.summary.errors, file.summary.clientErrors]).toEqual([total(), total(errors), total(clientErrors)]);
    // The API's summary of the same window says the same.
    const api = await apiOk(edge, `/api/v1/apps/shop/summary?from=${file.summary.from}&to=${file.summary.to}`);
    expect(api.requests).toBe(file.summary.requests);

    const byRow = new Map<string, number>();
    for (const row of sent) byRow.set(`${row.method} ${row.route}`, (byRow.get(`${row.method} ${row.route}`) ?? 0) + row.count);
    expect(new Map(file.routes.map((row: { method: string; route: string; requests: number }) => [`${row.method} ${row.route}`, row.requests]))).toEqual(byRow);

    expect(Object.keys(file.charts).sort()).toEqual(['errors', 'latency', 'status', 'throughput']);
    const status = file.charts.status;
    expect(['2xx', '4xx', '5xx'].map((k) => sum(status[k]))).toEqual([total(sent.filter((r) => r.status < 300)), total(clientErrors), total(errors)]);
    // As the charts draw them: t in Unix seconds, the error rate in percent (all requests fall in one point here).
    expect(status.t.every((t: number) => Number.isInteger(t) && t > 1.7e9 && t < 1e10)).toBe(true);
    expect(Math.max(...file.charts.errors.errorRate.filter((v: number | null) => v !== null))).toBeCloseTo((100 * total(errors)) / total(), 9);
    expect(Array.isArray(file.alerts)).toBe(true);
  }, 60_000);

  test('filtered to a route and method as the page is', async () => {
    const response = await get('/performance/export.json?app=shop&range=1h&route=%2Fusers%2F%3Aid&method=GET');
    const file = await response.json() as any;
    const rows = sent.filter((row) => row.method === 'GET' && row.route === '/users/:id');
    expect([file.route, file.method, file.summary.requests]).toEqual(['/users/:id', 'GET', total(rows)]);
    expect(sum(file.charts.status['5xx'])).toBe(total(rows.filter((row) => row.status >= 500)));
  }, 60_000);

  test('behind the dashboard\'s sign-in: no key, a read key for the API or an app not there get no data', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong-key-0123456789' }, { 'x-api-key': KEYS.shopRead }] as Array<Record<string, string>>) {
      const response = await get('/performance/export.json?app=shop', headers);
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('"summary"');
    }
    expect((await get('/performance/export.json?app=nothing-here')).status).toBe(404);
    // A parameter given twice is refused, as on every dashboard path.
    expect((await get('/performance/export.json?app=shop&range=1h&range=6h')).status).toBe(400);
  }, 60_000);
});

// A scale review: with 1,010 routes the table showed 200 rows, every sort and range, and said nothing.
describe('an app with more routes than the table shows', () => {
  const many = ROUTES_SHOWN + 30;
  const names = Array.from({ length: many }, (_, i) => `/r${String(i).padStart(4, '0')}`);
  beforeAll(async () => {
    const table = new RollupTable();
    names.forEach((route, i) => table.record(minute + 1_000, 'GET', route, 200, 2, 10 + (i % 7)));
    await ingestOk(edge, { ...batch(), batchId: `many-routes-${minute}`, identity: { ...batch().identity, app: 'blog' }, rollups: table.drain() }, { key: KEYS.blogIngest });
  }, 60_000);

  test('the table shows the first rows in its order and says there are more; Export JSON has every one', async () => {
    const rowsOf = (html: string) => [...html.matchAll(/<span class="method">GET<\/span> <span>([^<]*)<\/span>/g)].map((m) => m[1]);
    for (const path of ['/performance?app=blog&range=1h&sort=route', '/performance/fragments/routes?app=blog&range=1h&sort=route']) {
      const html = await (await get(path)).text();
      expect(rowsOf(html)).toEqual(names.slice(0, ROUTES_SHOWN));
      expect(html).toContain(`The first ${ROUTES_SHOWN} routes in this order; there are more.`);
    }
    const file = await (await get('/performance/export.json?app=blog&range=1h&sort=route')).json() as any;
    expect([file.routes.map((row: { route: string }) => row.route), file.routesTruncated]).toEqual([names, false]);
    // The shop's few routes: no note.
    expect(await (await get('/performance/fragments/routes?app=shop&range=1h')).text()).not.toContain('there are more');
  }, 60_000);
});
