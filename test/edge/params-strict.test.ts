// Query parameters held to their exact form, in workerd: a window the rollup reads refuse is refused
// by the export and the raw listings too; a number given empty is a 400 naming it, not the default; a
// cursor not of the shape the edge makes is a 400 naming `cursor`; the dashboard's `route` is capped
// as the API's is. Each used to be accepted.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { LIMITS } from '../../src/core/wire-format.ts';
import { QUERY_NAMES } from '../../src/edge/http/query-names.ts';
import { makeBatch } from '../support/batch.ts';
import { DASHBOARD_BINDINGS, DASHBOARD_KEY } from './fuzz/readable.ts';
import { api, apiOk, ingestOk, KEYS, startEdge } from './support/edge.ts';
import { minuteAgo } from './support/minutes.ts';

let edge: LocalEdge;
const MINUTE = minuteAgo(2);

beforeAll(async () => {
  edge = await startEdge({ bindings: DASHBOARD_BINDINGS });
  // Two samples, a second apart: a page of one has a next cursor.
  await ingestOk(edge, makeBatch(MINUTE + 10_000));
  const second = makeBatch(MINUTE + 10_000);
  second.samples = second.samples.map((s) => ({ ...s, timestamp: s.timestamp + 1_000 }));
  second.rollups = [];
  await ingestOk(edge, second);
}, 60_000);

afterAll(async () => {
  await edge?.dispose();
});

const refused = (message: string | RegExp) => ({ status: 400, body: { error: expect.objectContaining({ code: 'invalid_parameter', message: typeof message === 'string' ? message : expect.stringMatching(message) }) } });

/** A cursor as the edge encodes one, of any JSON value. */
const cursorOf = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('the export and the raw listings check their window as the rollup reads do', () => {
  test('to=1000 (its default from before the epoch) is a 400 on the export, as on summary', async () => {
    const summary = await api(edge, '/api/v1/apps/shop/summary?to=1000');
    // Named as the parameter sent (it had named `from`, which was not: a review).
    expect(summary).toEqual(refused('to: expected at least 3600000 without from (from is then an hour before to)'));
    for (const path of ['/api/v1/apps/shop/export.ndjson?to=1000', '/api/v1/apps/shop/samples?to=1000', '/api/v1/apps/shop/traces?to=1000', '/api/v1/apps/shop/profiles?to=1000']) {
      expect([path, await api(edge, path)]).toEqual([path, summary]);
    }
    // A window that starts at the epoch is still one.
    const response = await fetch(new URL('/api/v1/apps/shop/export.ndjson?from=0&to=3600000', edge.url), { headers: { 'x-api-key': KEYS.shopRead } });
    expect(response.status).toBe(200);
    expect(JSON.parse((await response.text()).split('\n')[0]!)).toMatchObject({ type: 'export', from: 0, to: 3_600_000 });
    expect((await api(edge, '/api/v1/apps/shop/export.ndjson?from=5&to=5')).body.error.message).toBe('from: expected from < to');
  }, 30_000);

  test('a to past the latest time a Date holds is a 400 naming it, on every read (summary had answered a to above the largest it accepts)', async () => {
    const past = '/api/v1/apps/shop/summary?from=0&to=9007199254740991';
    const tooLate = refused('to: expected a time in ms since the epoch, 0..8640000000000000');
    for (const path of [past, '/api/v1/apps/shop/timeseries?from=0&to=9007199254740991', '/api/v1/apps/shop/export.ndjson?from=0&to=8640000000000001']) {
      expect([path, await api(edge, path)]).toEqual([path, tooLate]);
    }
    // The latest time itself is a window, answered with a `to` a client may send back.
    const latest = await api(edge, '/api/v1/apps/shop/summary?from=8639999996400000&to=8640000000000000');
    expect(latest.status).toBe(200);
    expect(latest.body.to).toBe(8_640_000_000_000_000);
  }, 30_000);
});

describe('a number given empty is a 400 naming it', () => {
  const NUMBERS = ['from', 'to', 'step', 'limit', 'apdexThreshold', 'minDuration', 'days'];

  test('on every endpoint that reads one', async () => {
    let checked = 0;
    for (const [template, names] of Object.entries(QUERY_NAMES)) {
      if (template.includes('/:id') || template.includes('/:traceId')) continue;
      for (const name of names.filter((n) => NUMBERS.includes(n))) {
        const path = `${template.replace(':app', 'shop')}?${name}=`;
        const answer = await api(edge, path);
        expect([path, answer.status, answer.body?.error?.message]).toEqual([path, 400, expect.stringMatching(new RegExp(`^${name}: expected`))]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    // The export's `from=` is no longer the default hour.
    expect(await api(edge, '/api/v1/apps/shop/export.ndjson?from=&to=5000000')).toEqual(refused(/^from: expected an integer/));
  }, 60_000);

  test('empty words and text are still none: they mean no filter', async () => {
    for (const path of ['/api/v1/apps/shop/routes?route=&method=&sort=&order=', '/api/v1/apps/shop/samples?status=&cursor=&route=', '/api/v1/apps/shop/traces?errors=&sort=', '/api/v1/apps/shop/profiles?instance=']) {
      expect([path, (await api(edge, path)).status]).toEqual([path, 200]);
    }
  }, 30_000);
});

describe('cursors are held to the shape the edge makes', () => {
  const window = () => `from=${MINUTE - 60_000}&to=${Date.now() + 60_000}`;

  test('a cursor from a page still pages', async () => {
    const first = await apiOk(edge, `/api/v1/apps/shop/samples?${window()}&limit=1`);
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await apiOk(edge, `/api/v1/apps/shop/samples?${window()}&limit=1&cursor=${first.nextCursor}`);
    expect(second.items).toHaveLength(1);
    expect(second.items[0].timestamp).toBeLessThan(first.items[0].timestamp);
    const traces = await apiOk(edge, `/api/v1/apps/shop/traces?${window()}&limit=1`);
    expect(traces.nextCursor).toEqual(expect.any(String));
    expect((await apiOk(edge, `/api/v1/apps/shop/traces?${window()}&limit=1&cursor=${traces.nextCursor}`)).items).toHaveLength(1);
    const slowest = await apiOk(edge, `/api/v1/apps/shop/traces?${window()}&limit=1&sort=slowest`);
    expect((await apiOk(edge, `/api/v1/apps/shop/traces?${window()}&limit=1&sort=slowest&cursor=${slowest.nextCursor}`)).items).toHaveLength(1);
  }, 30_000);

  test('a cursor of another shape is a 400 naming cursor', async () => {
    const ts = MINUTE + 5_000;
    const bad: unknown[] = [
      [ts, "x' OR 1=1--"], [ts, 'abc'], [ts, 'A'.repeat(32)], [ts, -1], [ts, 1.5], [ts, null], [ts, true], ['x', 1], [-5, 1], [ts], [ts, 1, 2], { 0: ts, 1: 1 }, [ts, [1]],
    ];
    for (const endpoint of ['samples', 'traces', 'profiles']) {
      for (const value of bad) {
        const path = `/api/v1/apps/shop/${endpoint}?cursor=${cursorOf(value)}`;
        expect([endpoint, value, await api(edge, path)]).toEqual([endpoint, value, refused('cursor: expected a cursor from a previous page')]);
      }
    }
  }, 60_000);
});

describe("the dashboard's route is capped as the API's", () => {
  const page = (query: string) => fetch(new URL(`/performance?app=shop&${query}`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });

  test('a route over 256 characters is a 400 naming it; one of 256 is a page', async () => {
    expect(LIMITS.routeLength).toBe(256);
    for (const name of ['route', 'traceRoute']) {
      for (const length of [LIMITS.routeLength + 1, 60_000]) {
        const response = await page(`${name}=/${'a'.repeat(length - 1)}`);
        const text = await response.text();
        expect([name, length, response.status]).toEqual([name, length, 400]);
        expect(text).toContain(`${name}: expected at most 256 characters`);
      }
      const ok = await page(`${name}=/${'a'.repeat(LIMITS.routeLength - 1)}`);
      expect([name, ok.status]).toEqual([name, 200]);
      await ok.arrayBuffer();
    }
    // The API gives the same answer for the same route.
    expect(await api(edge, `/api/v1/apps/shop/summary?route=/${'a'.repeat(60_000 - 1)}`)).toEqual(refused('route: expected at most 256 characters'));
    // The dashboard's own links: the page of a route the app has, and its fragments.
    for (const path of ['/performance?app=shop&route=%2Fusers%2F%3Aid&method=GET', '/performance/fragments/routes?app=shop', '/performance/fragments/summary?app=shop&route=%2Forders']) {
      const response = await fetch(new URL(path, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
      expect([path, response.status]).toEqual([path, 200]);
      await response.arrayBuffer();
    }
  }, 60_000);
});
