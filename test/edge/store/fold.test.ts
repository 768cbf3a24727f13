// Batches taken into the pending log and folded: the 10-second and minute rows equal the requests
// of the batches summed in the test, nothing reaches the tables before the fold, and a log read
// back after a restart folds to the same rows.
import { describe, expect, test } from 'bun:test';
import { foldBatches } from '../../../src/edge/store/fold.ts';
import { listInstances } from '../../../src/edge/store/instance-guard.ts';
import { PendingLog } from '../../../src/edge/store/pending-log.ts';
import { batchOf, MIN, requests, statusClass, store, storedRows, sumsBy, T0, withSketchCounts, type Request } from './fixture.ts';

const NOW = T0 + 5 * MIN;
const minuteOf = (t: number) => t - (t % MIN);
const tenSecondsOf = (t: number) => t - (t % 10_000);

/** Four batches of two instances over three minutes, and every request in them. */
function traffic() {
  const batches: Array<{ instance: string; requests: Request[] }> = [];
  for (let i = 0; i < 4; i++) batches.push({ instance: i % 2 ? 'host-b:2' : 'host-a:1', requests: requests(100 + i, 150, T0 + i * 40_000, 60_000) });
  return batches;
}

function expectedRows(all: Request[]) {
  const perRoute = (window: (t: number) => number) => (r: Request) => `${window(r.time)} ${r.method} ${r.route} ${statusClass(r.status)}`;
  const allRoutes = (window: (t: number) => number) => (r: Request) => `${window(r.time)} * * ${statusClass(r.status)}`;
  return {
    minute: withSketchCounts(new Map([...sumsBy(all, perRoute(minuteOf)), ...sumsBy(all, allRoutes(minuteOf))])),
    // TEN_SECOND_ROUTES off: the 10-second table holds the whole app's rows only.
    tenSeconds: withSketchCounts(sumsBy(all, allRoutes(tenSecondsOf))),
  };
}

const rowCount = (s: ReturnType<typeof store>, table: string) => s.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;

describe('pending log and fold', () => {
  test('batches are logged, not written, until the fold; then minute and 10-second rows are the sums of their requests', () => {
    const s = store();
    const batches = traffic();
    for (const b of batches) {
      const outcome = s.ingest(batchOf(b.requests, { instance: b.instance }), NOW);
      expect(outcome).toMatchObject({ status: 'accepted', folded: false, overflow: { routes: 0, instance: false } });
    }
    expect(rowCount(s, 'pending_batches')).toBe(batches.length);
    expect(rowCount(s, 'rollup_minute') + rowCount(s, 'rollup_10s') + rowCount(s, 'instances')).toBe(0);
    expect(s.log!.size).toBe(batches.length);

    const report = s.sql.transaction(() => {
      const folded = foldBatches(s.target, s.log!.batches(), NOW);
      s.log!.markFolded();
      return folded;
    });
    s.log!.clear();
    const all = batches.flatMap((b) => b.requests);
    const expected = expectedRows(all);
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(expected.minute);
    expect(storedRows(s.sql, 'rollup_10s')).toEqual(expected.tenSeconds);
    expect(rowCount(s, 'rollup_hour')).toBe(0);
    expect(report.batches).toBe(batches.length);
    expect([...report.minutes].sort()).toEqual([...new Set(all.map((r) => minuteOf(r.time)))].sort());

    // Each instance's row written once, counting its batches and the requests of its latest.
    const instances = listInstances(s.sql);
    for (const name of ['host-a:1', 'host-b:2']) {
      const own = batches.filter((b) => b.instance === name);
      expect(instances.find((i) => i.instance === name)).toMatchObject({ batches: own.length, reportedRequests: own.at(-1)!.requests.length });
    }
    // Nothing is left to recover: the fold recorded how far it went.
    expect(new PendingLog(s.sql).recover()).toEqual({ batches: 0, unreadable: 0 });
  });

  test('after a restart the log is read back and folds to the same rows', () => {
    const s = store();
    const batches = traffic();
    for (const b of batches) s.ingest(batchOf(b.requests, { instance: b.instance }), NOW);
    // A new log over the same database, as after an eviction.
    const restarted = new PendingLog(s.sql);
    expect(restarted.recover()).toEqual({ batches: batches.length, unreadable: 0 });
    s.sql.transaction(() => {
      foldBatches(s.target, restarted.batches(), NOW);
      restarted.markFolded();
    });
    const expected = expectedRows(batches.flatMap((b) => b.requests));
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(expected.minute);
    expect(storedRows(s.sql, 'rollup_10s')).toEqual(expected.tenSeconds);
  });

  test('with TEN_SECOND_ROUTES the 10-second table holds each route\'s rows too', () => {
    const s = store({ log: false });
    s.target.tenSecondRoutes = true;
    const all = traffic().flatMap((b) => b.requests);
    s.ingest(batchOf(all), NOW);
    const perRoute = (r: Request) => `${tenSecondsOf(r.time)} ${r.method} ${r.route} ${statusClass(r.status)}`;
    expect(storedRows(s.sql, 'rollup_10s')).toEqual(new Map([...withSketchCounts(sumsBy(all, perRoute)), ...expectedRows(all).tenSeconds]));
  });

  test('without a log a batch is folded at once, and folds add into the rows already there', () => {
    const s = store({ log: false });
    const batches = traffic();
    for (const b of batches) expect(s.ingest(batchOf(b.requests, { instance: b.instance }), NOW)).toMatchObject({ status: 'accepted', folded: true });
    const expected = expectedRows(batches.flatMap((b) => b.requests));
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(expected.minute);
    expect(storedRows(s.sql, 'rollup_10s')).toEqual(expected.tenSeconds);
    expect(rowCount(s, 'pending_batches')).toBe(0);
  });
});
