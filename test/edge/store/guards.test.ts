// The route and instance caps: the first `cap` routes (instances) keep their names, later new ones
// are counted under `other`, with every request still counted; the caps hold across a restart.
import { describe, expect, test } from 'bun:test';
import { OVERFLOW_ROUTE } from '../../../src/core/route-normaliser.ts';
import { listInstances } from '../../../src/edge/store/instance-guard.ts';
import { batchOf, MIN, requests, statusClass, store, storedRows, sumsBy, T0, withSketchCounts, type Request } from './fixture.ts';

const NOW = T0 + 3 * MIN;
const minuteOf = (t: number) => t - (t % MIN);

describe('cardinality caps', () => {
  test('past the route cap new routes are counted under `other`, every request kept', () => {
    const cap = 3;
    const s = store({ routeCap: cap, log: false });
    const routes = ['/a', '/b', '/c', '/d', '/e'];
    // One route per batch, so the order routes first come in is the batches' order.
    const sent: Request[][] = routes.map((route, i) => requests(20 + i, 30, T0, MIN, [route]));
    const overflowed: number[] = [];
    for (const batch of sent) {
      const outcome = s.ingest(batchOf(batch), NOW);
      if (outcome.status !== 'accepted') throw new Error(outcome.status);
      overflowed.push(outcome.overflow.routes);
    }
    const kept = new Set(routes.slice(0, cap));
    // Each batch past the cap reports one overflowed cell per cell it sent.
    expect(overflowed.slice(0, cap)).toEqual([0, 0, 0]);
    sent.slice(cap).forEach((batch, i) => expect(overflowed[cap + i]).toBe(batchOf(batch).rollups.length));
    const expected = sumsBy(sent.flat(), (r) => `${minuteOf(r.time)} ${r.method} ${kept.has(r.route) ? r.route : OVERFLOW_ROUTE} ${statusClass(r.status)}`);
    const perRoute = new Map([...storedRows(s.sql, 'rollup_minute')].filter(([key]) => !key.includes(' * * ')));
    expect(perRoute).toEqual(withSketchCounts(expected));
    expect(s.sql.exec<{ route: string }>('SELECT route FROM routes ORDER BY route').toArray().map((r) => r.route)).toEqual([...kept].sort());

    // After a restart the cap still holds: a known route keeps its name, a new one is `other`.
    const again = store({ routeCap: cap, log: false, over: s });
    expect(again.routes.admit('/b', NOW)).toBe('/b');
    expect(again.routes.admit('/f', NOW)).toBe(OVERFLOW_ROUTE);
  });

  test('past the instance cap new instances are stored as `other`, their batches counted there', () => {
    const cap = 2;
    const s = store({ instanceCap: cap, log: false });
    const names = ['host-a:1', 'host-b:1', 'host-c:1', 'host-d:1', 'host-c:1'];
    const sent = names.map((instance, i) => ({ instance, requests: requests(40 + i, 10 + i, T0, MIN) }));
    const flags = sent.map((b) => {
      const outcome = s.ingest(batchOf(b.requests, { instance: b.instance }), NOW);
      return outcome.status === 'accepted' && outcome.overflow.instance;
    });
    const kept = new Set(names.slice(0, cap));
    expect(flags).toEqual(names.map((n) => !kept.has(n)));
    const stored = new Map(listInstances(s.sql).map((i) => [i.instance, i.batches]));
    const expected = new Map<string, number>();
    for (const n of names) {
      const as = kept.has(n) ? n : OVERFLOW_ROUTE;
      expected.set(as, (expected.get(as) ?? 0) + 1);
    }
    expect(stored).toEqual(expected);
    // Requests of every instance are counted in the app's rows.
    const total = s.sql.exec<{ n: number }>("SELECT SUM(count) AS n FROM rollup_minute WHERE method = '*'").one().n;
    expect(total).toBe(sent.reduce((sum, b) => sum + b.requests.length, 0));

    const again = store({ instanceCap: cap, log: false, over: s });
    expect(again.instances.admit('host-b:1')).toBe('host-b:1');
    expect(again.instances.admit('host-e:1')).toBe(OVERFLOW_ROUTE);
  });
});
