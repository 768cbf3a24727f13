// A row of the routes table filters the dashboard to its method as well as its route (found by a
// review: GET and DELETE of /users/:id were shown summed), in workerd: the tiles, the charts, the
// traces list and the selected row count that method only; the route chip names it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch, Span } from '../../src/core/wire-format.ts';
import { seededRandom } from '../support/random.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const DASHBOARD_KEY = 'dash-key-0123456789abcdef';
const MINUTE = 60_000;
const random = seededRandom(14);
const counts = { GET: 20 + Math.floor(random() * 20), DELETE: 3 + Math.floor(random() * 10) };
const minute = Date.now() - (Date.now() % MINUTE) - 2 * MINUTE;

function span(method: string, at: number): Span {
  return {
    traceId: newTraceId(), spanId: newSpanId(), name: `${method} /users/:id`, kind: 'server', startTime: at, duration: 5, status: 'ok',
    tags: { 'http.method': method, 'http.route': '/users/:id', 'http.status_code': method === 'DELETE' ? 204 : 200 }, logs: [],
  };
}

function batch(): Batch {
  const table = new RollupTable();
  const spans: Span[] = [];
  for (const [method, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++) {
      const at = minute + 1_000 + i * 100;
      table.record(at, method, '/users/:id', method === 'DELETE' ? 204 : 200, 5 + i, 64);
      if (i < 3) spans.push(span(method, at));
    }
  }
  for (let i = 0; i < 4; i++) table.record(minute + 2_000 + i, 'GET', '/health', 200, 1, 2);
  return {
    version: 1, batchId: `route-filter-${minute}`,
    identity: { app: 'shop', service: 'api', instance: 'host-1:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 10_000 }, rollups: table.drain(), samples: [], spans, profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

let edge: LocalEdge;
const page = async (path: string) => {
  const response = await fetch(new URL(path, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
  expect(response.status).toBe(200);
  return response.text();
};
const tile = (html: string) => Number(/data-metric="requests" data-value="(\d+)"/.exec(html)?.[1]);
const ROUTE = 'route=%2Fusers%2F%3Aid';

beforeAll(async () => {
  edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
  await ingestOk(edge, batch());
}, 60_000);
afterAll(async () => {
  await edge?.dispose();
});

describe('the dashboard filtered to a row of the routes table', () => {
  test('tiles, charts and traces count the row\'s method only; the route alone sums its methods', async () => {
    const both = counts.GET + counts.DELETE;
    expect(tile(await page(`/performance/fragments/summary?app=shop&range=1h&${ROUTE}`))).toBe(both);
    expect(tile(await page(`/performance/fragments/summary?app=shop&range=1h&${ROUTE}&method=DELETE`))).toBe(counts.DELETE);
    expect(tile(await page(`/performance/fragments/summary?app=shop&range=1h&${ROUTE}&method=GET`))).toBe(counts.GET);
    // The same figure as the API's own route and method filter.
    expect((await apiOk(edge, `/api/v1/apps/shop/summary?${ROUTE}&method=DELETE`)).requests).toBe(counts.DELETE);

    const chart = await (await fetch(new URL(`/performance/data/timeseries?app=shop&range=1h&${ROUTE}&method=DELETE&metric=status`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } })).json() as Record<string, Array<number | null>>;
    const charted = ['2xx', '3xx', '4xx', '5xx'].flatMap((key) => chart[key] ?? []);
    expect(charted.reduce<number>((sum, n) => sum + (n ?? 0), 0)).toBe(counts.DELETE);

    const html = await page(`/performance?app=shop&range=1h&${ROUTE}&method=DELETE`);
    expect(tile(html)).toBe(counts.DELETE);
    const traces = /<section\s+id="traces"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    const names = [...traces.matchAll(/<a href="\/performance\/traces\/[0-9a-f]{32}[^"]*"[^>]*>([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(names).toEqual(['DELETE /users/:id', 'DELETE /users/:id', 'DELETE /users/:id']);
    // The traces API takes the same method filter.
    const listed = await apiOk(edge, `/api/v1/apps/shop/traces?from=${minute}&to=${minute + MINUTE}&${ROUTE}&method=GET`);
    expect(listed.items.map((t: { method: string }) => t.method)).toEqual(['GET', 'GET', 'GET']);

    // Only the DELETE row is selected, each row's link carries its method, and the chip names it.
    const rows = [...html.matchAll(/<tr( class="selected")?>\s*<td class="route">\s*<a href="([^"]*)"[^>]*><span class="method">(\w+)<\/span> <span>([^<]*)<\/span>/g)]
      .map((m) => ({ selected: m[1] !== undefined, href: m[2]!.replaceAll('&amp;', '&'), method: m[3], route: m[4] }));
    expect(rows.filter((r) => r.route === '/users/:id').sort((a, b) => a.method!.localeCompare(b.method!))).toEqual([
      { selected: true, href: `/performance?app=shop&range=1h&${ROUTE}&method=DELETE`, method: 'DELETE', route: '/users/:id' },
      { selected: false, href: `/performance?app=shop&range=1h&${ROUTE}&method=GET`, method: 'GET', route: '/users/:id' },
    ]);
    expect(html).toMatch(/<a class="route-filter"[^>]*>\s*<span>DELETE \/users\/:id<\/span>/);
  }, 60_000);

  test('a method that is not one is a 400 naming it; one without a route is ignored, not passed on', async () => {
    const both = counts.GET + counts.DELETE;
    // The routes table links only stored methods (capitals, as ingest checks): anything else is not the dashboard's.
    const bad = await fetch(new URL(`/performance/fragments/summary?app=shop&range=1h&${ROUTE}&method=${encodeURIComponent("delete' OR 1")}`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid_parameter', message: 'method: expected an HTTP method in capitals, such as GET' } });
    // A method filters a row of the routes table: alone it would filter the tiles and not the charts, with no chip saying so.
    const html = await page('/performance?app=shop&range=1h&method=DELETE');
    expect(tile(html)).toBe(both + 4);
    expect(html).not.toContain('class="route-filter"');
  }, 60_000);
});

// A review: after the README's `keys --app blog`, the dashboard named no app opened on blog ("No
// data for blog yet"), first by name, beside a shop with all the data.
test('a visit naming no app opens on the first app with data; one that names an app keeps it', async () => {
  expect(/<title>([^<]*)<\/title>/.exec(await page('/performance'))?.[1]).toStartWith('shop · 1h');
  expect(/<title>([^<]*)<\/title>/.exec(await page('/performance?app=blog'))?.[1]).toStartWith('blog · 1h');
});

// A review: a PURGE request's row is OTHER in the routes table; filtered to it, no trace matched.
test('a row of a method counted as OTHER lists its traces (PURGE, PROPFIND), and no standard method\'s', async () => {
  const at = minute + 5_000;
  const other = (method: string, route: string): Span => ({ ...span(method, at), name: `${method} ${route}`, tags: { 'http.method': method, 'http.route': route, 'http.status_code': 200 } });
  const table = new RollupTable();
  for (const method of ['OTHER', 'OTHER', 'GET']) table.record(at, method, '/cache/:id', 200, 5, 1);
  await ingestOk(edge, { ...batch(), batchId: `route-filter-other-${minute}`, rollups: table.drain(), spans: [other('PURGE', '/cache/:id'), other('PROPFIND', '/cache/:id'), other('GET', '/cache/:id')] });
  const listed = await apiOk(edge, `/api/v1/apps/shop/traces?from=${minute}&to=${minute + MINUTE}&route=%2Fcache%2F%3Aid&method=OTHER`);
  expect(listed.items.map((t: { method: string }) => t.method).sort()).toEqual(['PROPFIND', 'PURGE']);
  const html = await page(`/performance?app=shop&range=1h&route=%2Fcache%2F%3Aid&method=OTHER`);
  const traces = /<section\s+id="traces"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  expect([...traces.matchAll(/<a href="\/performance\/traces\/[0-9a-f]{32}[^"]*"[^>]*>([^<]*)<\/a>/g)].map((m) => m[1]).sort()).toEqual(['PROPFIND /cache/:id', 'PURGE /cache/:id']);
});
