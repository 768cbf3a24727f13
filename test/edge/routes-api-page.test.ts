// The routes API's first page, in workerd with real SQLite: every row as the whole table computed
// from the cells sent has it, for each sort by counts or sums, in either order, and it says that
// rows were left out. (Over 148,500 cells, 990 routes × 10 methods × 5 classes × 3 minutes, a read
// takes ~0.9 s on this machine whatever the sort: reading the rows is most of it.)
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { routeTable } from '../../src/core/query/routes.ts';
import { makeBatch } from '../support/batch.ts';
import { seededRandom } from '../support/random.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

let edge: LocalEdge;
beforeAll(async () => {
  edge = await startEdge();
}, 60_000);
afterAll(async () => {
  await edge?.dispose();
});

test('the first 25 rows of each sort by counts or sums are the whole table\'s, every figure', async () => {
  const random = seededRandom(5);
  // A minute wholly in the past: the window's rates divide by a time that does not move.
  const minute = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
  const table = new RollupTable();
  for (let i = 0; i < 400; i++) {
    const route = `/page/${Math.floor(random() * 300)}`;
    const method = ['GET', 'POST', 'DELETE'][Math.floor(random() * 3)]!;
    const status = random() < 0.1 ? 503 : random() < 0.1 ? 404 : 200;
    table.record(minute + Math.floor(random() * 59_000), method, route, status, 1 + Math.floor(random() * 400) / 4, 100);
  }
  // The cells as the core sums them (copies: drain empties the table), and as the wire carries them.
  const live = table.cellsNow().map((cell) => ({ ...cell, sketch: cell.sketch.clone() }));
  const cells = table.drain();
  await ingestOk(edge, { ...makeBatch(minute + 30_000), rollups: cells, samples: [], spans: [] });
  const window = { from: minute, to: minute + 60_000 };
  // Percentiles to 9 digits: workerd's Math.log and Bun's differ in the last ones.
  const digits = (n: number | null) => (n === null ? null : Number(n.toPrecision(9)));
  const shape = (rows: any[]) => rows.map((r) => ({
    method: r.method, route: r.route, requests: r.requests, errors: r.errors, errorRate: r.errorRate, rps: r.rps, apdex: r.apdex,
    latency: Object.fromEntries(Object.entries(r.latency).map(([k, v]) => [k, digits(v as number | null)])),
  }));
  for (const sort of ['requests', 'errors', 'errorRate', 'avg', 'max', 'route'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      const answer = await apiOk(edge, `/api/v1/apps/shop/routes?from=${window.from}&to=${window.to}&sort=${sort}&order=${order}&limit=25`);
      const expected = routeTable(live, { ...window, until: window.to, sort, order, limit: 25 });
      expect([sort, order, answer.truncated, shape(answer.routes)]).toEqual([sort, order, true, shape(expected)]);
    }
  }
}, 60_000);
