// ROUTE_CAP over shards: the cap counts an app's distinct routes whichever shard a batch goes to
// (shard 0 decides, store/shared-routes.ts). Found by a review: each shard capped its own routes,
// so with SHARDS 2 and ROUTE_CAP 1 an app kept two named routes and /a's requests sent to shard 1
// were counted under `other` (its row: 10 of 30 requests, p99 1 ms instead of about 100).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../src/core/route-normaliser.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { shardName, shardOf } from '../../src/edge/shards.ts';
import { makeBatch } from '../support/batch.ts';
import { exactQuantile } from '../support/random.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';
import { withinOnePercent } from './support/traffic.ts';

const CAP = 1;
const SHARDS = 2;
/** The first instance names of shard 0 and of shard 1. */
const [A, B] = [0, 1].map((k) => Array.from({ length: 100 }, (_, i) => `host-${i}:1`).find((name) => shardOf(name, SHARDS) === k)!) as [string, string];

interface Sent { instance: string; route: string; ms: number }
const sent: Sent[] = [];
let edge: LocalEdge;
let batches = 0;
const minute = Date.now() - (Date.now() % 60_000) - 5 * 60_000;
const window = `from=${minute - 60_000}&to=${minute + 120_000}`;

/** A batch of these requests (cells only), sent by its instance's header to its shard. */
async function send(instance: string, requests: Array<[string, number]>): Promise<any> {
  const table = new RollupTable();
  for (const [route, ms] of requests) {
    table.record(minute + 1_000, 'GET', route, 200, ms, 0);
    sent.push({ instance, route, ms });
  }
  const batch: Batch = { ...makeBatch(minute + 1_000), batchId: `route-cap-${++batches}-${Date.now()}`, rollups: table.drain(), samples: [], spans: [], profiles: [] };
  batch.identity = { ...batch.identity, instance };
  return ingestOk(edge, batch, { headers: { 'x-bun-apm-instance': encodeURIComponent(instance) } });
}

/** Store requests of shard 0 that are not reads or ingests: its other shards' calls among them. */
async function shard0Calls(): Promise<number> {
  const report = await (await edge.store(shardName('shop', 0))).usageReport(1);
  return report.days[0].ticks;
}

beforeAll(async () => {
  edge = await startEdge({ bindings: { SHARDS: String(SHARDS), ROUTE_CAP: String(CAP) } });
});

afterAll(async () => {
  await edge?.dispose();
});

describe('the route cap of an app over shards', () => {
  test('holds for the app: the first route it sees keeps its name in every shard, with all its requests', async () => {
    expect(shardOf(A, SHARDS)).toBe(0);
    expect(shardOf(B, SHARDS)).toBe(1);
    await send(A, Array.from({ length: 10 }, (_, i) => ['/a', 1 + i]));
    const answer = await send(B, [...Array.from({ length: 5 }, (): [string, number] => ['/b', 1]), ...Array.from({ length: 20 }, (_, i): [string, number] => ['/a', 100 + i])]);
    expect(answer.overflow).toEqual({ routes: 1, instance: false });
    expect(answer.warnings).toEqual([`1 records counted under route "other": this app is at its cap of ${CAP} routes`]);

    // Worked out from the requests sent: the app's first route is /a, the only one the cap admits.
    const admitted = new Set(['/a']);
    const routeOf = (r: Sent) => (admitted.has(r.route) ? r.route : OVERFLOW_ROUTE);
    const { routes } = await apiOk(edge, `/api/v1/apps/shop/routes?${window}&limit=100`);
    expect(routes.filter((r: any) => r.route !== OVERFLOW_ROUTE).length).toBeLessThanOrEqual(CAP);
    const got = new Map<string, any>(routes.map((r: any) => [r.route, r]));
    expect([...got.keys()].sort()).toEqual([...new Set(sent.map(routeOf))].sort());
    for (const route of new Set(sent.map(routeOf))) {
      const mine = sent.filter((r) => routeOf(r) === route);
      const row = got.get(route);
      expect(row.requests).toBe(mine.length);
      expect(row.overflow).toBe(route === OVERFLOW_ROUTE);
      const p99 = exactQuantile(mine.map((r) => r.ms).sort((x, y) => x - y), 0.99);
      expect(withinOnePercent(row.latency.p99, p99)).toBe(true);
    }
    expect(got.get('/a').requests).toBe(30);
    expect(got.get(OVERFLOW_ROUTE).requests).toBe(5);
    expect((await apiOk(edge, `/api/v1/apps/shop/summary?${window}`)).requests).toBe(sent.length);
    // Shard 0 holds the app's routes; shard 1 those it was told it may use.
    const status = async (k: number) => (await (await edge.store(shardName('shop', k))).status()).routes;
    expect(await status(0)).toEqual({ count: 1, cap: CAP });
    expect(await status(1)).toEqual({ count: 1, cap: CAP });
  });

  test('a batch of routes its shard knows, or was refused lately, costs no call to shard 0', async () => {
    const before = await shard0Calls();
    const answer = await send(B, [['/a', 50], ['/b', 2], ['/a', 60]]);
    expect(answer.overflow.routes).toBe(1);
    expect(await shard0Calls()).toBe(before);
    // A new route is asked about once, and then remembered refused.
    await send(B, [['/c', 3]]);
    expect(await shard0Calls()).toBe(before + 1);
    await send(B, [['/c', 3], ['/a', 70]]);
    expect(await shard0Calls()).toBe(before + 1);
    const { routes } = await apiOk(edge, `/api/v1/apps/shop/routes?${window}&limit=100`);
    expect(routes.map((r: any) => `${r.route}=${r.requests}`).sort()).toEqual([`/a=${sent.filter((r) => r.route === '/a').length}`, `other=${sent.filter((r) => r.route !== '/a').length}`]);
  });
});
