// A full route cap gives the place of a route no batch has named for a day to a new one (a review: a
// scanner's paths, each process naming its own allowance of them, filled ROUTE_CAP, and a real new
// route was counted under `other` until retention forgot them, months later). A route still named
// keeps its place, and what was counted under a route that gave way stays counted.
import { afterAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const HOUR = 3_600_000;
let edge: LocalEdge | undefined;
let sent = 0;
afterAll(async () => {
  await edge?.dispose();
});

/** One request to each of `routes`, a minute ago by the real clock; the number the edge counted under `other`. */
async function send(routes: string[]): Promise<number> {
  const at = Date.now() - 60_000;
  const table = new RollupTable();
  for (const route of routes) table.record(at, 'GET', route, 200, 5, 0);
  const batch: Batch = { ...makeBatch(at), batchId: `idle-${++sent}-${Date.now()}`, rollups: table.drain(), samples: [], spans: [], profiles: [] };
  return (await ingestOk(edge!, batch)).overflow.routes;
}

test('a full route cap gives the place of a route unnamed for a day to a new one; a route still named keeps its place', async () => {
  edge = await startEdge({ bindings: { ROUTE_CAP: '3' } });
  const store = await edge.store('shop');
  expect(await send(['/a', '/b', '/c'])).toBe(0);
  expect(await send(['/x'])).toBe(1); // full, and none idle: `other`
  // Two hours on /c is named again (its last use is kept at most hourly); a day on from the start, /a and /b have gone unnamed.
  await store.setClockOffset(2 * HOUR);
  expect(await send(['/c'])).toBe(0);
  await store.setClockOffset(25 * HOUR);
  expect(await send(['/d'])).toBe(0);
  expect(await send(['/e'])).toBe(0);
  // /c was named 23 hours ago, /d and /e now: none gives way, until /c has gone a day unnamed.
  expect(await send(['/f'])).toBe(1);
  await store.setClockOffset(27 * HOUR);
  expect(await send(['/f'])).toBe(0);
  expect((await store.status()).routes).toEqual({ count: 3, cap: 3 });
  // Every request stays counted, under the name it was given when it came.
  const from = Date.now() - 3_600_000;
  const { routes } = await apiOk(edge, `/api/v1/apps/shop/routes?from=${from}&to=${Date.now()}&limit=100`);
  const counted = Object.fromEntries(routes.map((r: any) => [r.route, r.requests]));
  expect(counted).toEqual({ '/a': 1, '/b': 1, '/c': 2, '/d': 1, '/e': 1, '/f': 1, other: 2 });
  expect((await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${Date.now()}`)).requests).toBe(9);
}, 60_000);
