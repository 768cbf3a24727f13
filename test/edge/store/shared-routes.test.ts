// A shard k > 0's side of the app's route cap (store/shared-routes.ts), against a deciding guard as
// shard 0 holds it: routes admitted there are learned here, refusals remembered for a while, a known
// route asked about again when due a refresh (and dropped when shard 0 no longer admits it), and
// nothing learned when shard 0 does not answer.
import { describe, expect, test } from 'bun:test';
import { OVERFLOW_ROUTE } from '../../../src/core/route-normaliser.ts';
import { RouteGuard, TOUCH_EVERY_MS } from '../../../src/edge/store/route-guard.ts';
import { REFUSAL_KEPT_MS, routesOf, SharedRoutes } from '../../../src/edge/store/shared-routes.ts';
import { freshStore } from '../support/bun-sql.ts';
import { T0 } from './fixture.ts';

function shards(cap: number) {
  const first = new RouteGuard(freshStore().sql, cap);
  const other = new RouteGuard(freshStore().sql, cap, { decides: false });
  const asked: string[][] = [];
  let down = false;
  const shared = new SharedRoutes(async (routes) => {
    if (down) throw new Error('shard 0 is down');
    asked.push(routes);
    return routes.filter((route) => first.admit(route, T0) === route);
  });
  return { first, other, asked, shared, down: (value: boolean) => { down = value; } };
}

describe('shared routes', () => {
  test("a refresh of known routes that shard 0 does not answer stores the batch all the same, and is asked again a minute later (a route new here still waits)", async () => {
    const s = shards(2);
    await s.shared.prepare(() => s.other, ['/a'], T0);
    s.down(true);
    const due = T0 + TOUCH_EVERY_MS + 1;
    // Known, due a refresh, shard 0 down: no throw (the batch is stored under /a).
    await s.shared.prepare(() => s.other, ['/a'], due);
    expect(s.other.admit('/a', due)).toBe('/a');
    // A route new here needs the answer: that batch waits (a 503 its client sends again).
    await expect(s.shared.prepare(() => s.other, ['/a', '/b'], due)).rejects.toThrow('shard 0 is down');
    s.down(false);
    const asked = s.asked.length;
    await s.shared.prepare(() => s.other, ['/a'], due + 59_999);
    expect(s.asked).toHaveLength(asked);
    await s.shared.prepare(() => s.other, ['/a'], due + 60_000);
    expect(s.asked.at(-1)).toEqual(['/a']);
  });

  test('routes shard 0 admits are learned, the others counted under `other` and not asked about again for a while', async () => {
    const s = shards(2);
    expect(s.other.admit('/a', T0)).toBe(OVERFLOW_ROUTE);
    await s.shared.prepare(() => s.other, ['/a', '/b', '/c'], T0);
    expect(s.asked).toEqual([['/a', '/b', '/c']]);
    expect(['/a', '/b', '/c'].map((r) => s.other.admit(r, T0))).toEqual(['/a', '/b', OVERFLOW_ROUTE]);
    await s.shared.prepare(() => s.other, ['/a', '/b', '/c'], T0 + REFUSAL_KEPT_MS - 1);
    expect(s.asked).toHaveLength(1);
    // Shard 0 made room: asked again once the refusal is old.
    s.first.forget('/b');
    await s.shared.prepare(() => s.other, ['/a', '/c'], T0 + REFUSAL_KEPT_MS);
    expect(s.asked.at(-1)).toEqual(['/c']);
    expect(s.other.admit('/c', T0)).toBe('/c');
  });

  test('a known route is asked about when due a refresh, and dropped when shard 0 no longer admits it', async () => {
    const s = shards(1);
    await s.shared.prepare(() => s.other, ['/a'], T0);
    await s.shared.prepare(() => s.other, ['/a'], T0 + TOUCH_EVERY_MS);
    expect(s.asked).toEqual([['/a']]);
    await s.shared.prepare(() => s.other, ['/a'], T0 + TOUCH_EVERY_MS + 1);
    expect(s.asked).toEqual([['/a'], ['/a']]);
    // Shard 0 forgot /a and admitted /z in its place: this shard stops using /a.
    s.first.forget('/a');
    expect(s.first.admit('/z', T0)).toBe('/z');
    await s.shared.prepare(() => s.other, ['/a'], T0 + 3 * TOUCH_EVERY_MS);
    expect(s.other.admit('/a', T0)).toBe(OVERFLOW_ROUTE);
    expect(s.other.size).toBe(0);
  });

  test('when shard 0 does not answer nothing is learned and the call fails', async () => {
    const s = shards(5);
    s.down(true);
    await expect(s.shared.prepare(() => s.other, ['/a'], T0)).rejects.toThrow('shard 0 is down');
    expect(s.other.admit('/a', T0)).toBe(OVERFLOW_ROUTE);
    s.down(false);
    await s.shared.prepare(() => s.other, ['/a'], T0);
    expect(s.other.admit('/a', T0)).toBe('/a');
  });

  test("a batch names the routes of its cells, its samples and each trace's head span, and no other span's (a route asked about and never stored takes a place)", () => {
    const span = (traceId: string, route: string, kind: 'server' | 'client', startTime: number, parentSpanId?: string) =>
      ({ traceId, startTime, tags: { 'http.route': route }, kind, ...(parentSpanId && { parentSpanId }) });
    const batch = {
      rollups: [{ route: '/a' }, { route: OVERFLOW_ROUTE }],
      samples: [{ route: '/b' }],
      spans: [
        // A root names its trace; its server child does not.
        span('t1', '/c', 'client', 1), span('t1', '/d', 'server', 2, 'p1'),
        // No root: the earliest server span, not an earlier client span.
        span('t2', '/e', 'client', 1, 'p2'), span('t2', '/d2', 'server', 3, 'p2'),
        // Only client spans with parents: the earliest of them (as the trace's row takes it).
        span('t3', '/late-child', 'client', 5, 'p3'), span('t3', '/later', 'client', 6, 'p3'),
      ],
    } as any;
    expect([...routesOf(batch)].sort()).toEqual(['/a', '/b', '/c', '/d2', '/late-child']);
  });
});
