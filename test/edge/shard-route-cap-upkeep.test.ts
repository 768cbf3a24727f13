// The route cap over shards kept up (a review of the change that made shard 0 decide): a batch the
// rate limit refuses takes no place under the cap, and shard 0 forgets routes by retention even
// when every instance of the app is on another shard and it holds no data of its own.
import { afterEach, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../src/core/route-normaliser.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { shardName, shardOf } from '../../src/edge/shards.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingest, startEdge } from './support/edge.ts';

const DAY = 86_400_000;
/** An instance whose batches go to shard 1 of 2. */
const ON_SHARD_1 = Array.from({ length: 100 }, (_, i) => `host-${i}:1`).find((name) => shardOf(name, 2) === 1)!;
let edge: LocalEdge | undefined;
let batches = 0;
afterEach(async () => {
  await edge?.dispose();
  edge = undefined;
});

/** One request of `route` from shard 1's instance, at `at`. */
function send(route: string, at: number): Promise<Response> {
  const minute = at - (at % 60_000);
  const table = new RollupTable();
  table.record(minute + 1_000, 'GET', route, 200, 5, 0);
  const batch: Batch = { ...makeBatch(minute + 1_000), batchId: `upkeep-${++batches}-${Date.now()}`, rollups: table.drain(), samples: [], spans: [], profiles: [] };
  batch.identity = { ...batch.identity, instance: ON_SHARD_1 };
  return ingest(edge!, batch, { headers: { 'x-bun-apm-instance': encodeURIComponent(ON_SHARD_1) } });
}

test('batches the rate limit refuses take no place under the cap: a later route keeps its name', async () => {
  edge = await startEdge({ bindings: { SHARDS: '2', ROUTE_CAP: '2', INGEST_RATE_LIMIT: '1' } });
  const now = Date.now() - 60_000;
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await send(`/burst${i}`, now)).status);
  // One event a second: the first batch is taken, the next three refused at once.
  expect(statuses).toEqual([202, 503, 503, 503]);
  await Bun.sleep(1_100);
  const answer = (await (await send('/real', now)).json()) as any;
  expect(answer.overflow.routes).toBe(0);
  const { routes } = await apiOk(edge, `/api/v1/apps/shop/routes?from=${now - 120_000}&to=${now + 120_000}&limit=100`);
  expect(routes.map((r: any) => r.route).sort()).toEqual(['/burst0', '/real']);
}, 30_000);

test('a batch refused while shard 0 does not answer spends none of the rate limit: its retries are not refused as over it', async () => {
  edge = await startEdge({ bindings: { SHARDS: '2', INGEST_RATE_LIMIT: '1' } });
  const shard0 = await edge.store(shardName('shop', 0));
  await shard0.failAdmitRoutes(true);
  const now = Date.now() - 60_000;
  const codes = [];
  // One event a second, one event a batch: had the first try kept its token, the second would be over the limit.
  for (let i = 0; i < 3; i++) codes.push(((await (await send('/new', now)).json()) as any).error.code);
  expect(codes).toEqual(['unavailable', 'unavailable', 'unavailable']);
  await shard0.failAdmitRoutes(false);
  expect((await send('/new', now)).status).toBe(202);
}, 30_000);

test('shard 0 forgets routes by retention when it holds no data: room under the cap comes back', async () => {
  edge = await startEdge({ bindings: { SHARDS: '2', ROUTE_CAP: '1', HOUR_RETENTION_DAYS: '1', MINUTE_RETENTION_HOURS: '24', DETAIL_RETENTION_DAYS: '1' } });
  expect((await send('/old', Date.now() - 60_000)).status).toBe(202);
  const shard0 = await edge.store(shardName('shop', 0));
  const shard1 = await edge.store(shardName('shop', 1));
  // Two days on, for both stores; each store's maintenance runs as its alarm would.
  for (const store of [shard0, shard1]) await store.setClockOffset(2 * DAY);
  expect((await shard0.status()).nextAlarm).not.toBeNull();
  expect((await shard0.maintainNow()).deleted.routes).toBe(1);
  await shard1.maintainNow();
  const answer = (await (await send('/new', Date.now() - 60_000)).json()) as any;
  expect(answer.overflow.routes).toBe(0);
  expect((await shard0.status()).routes).toMatchObject({ count: 1 });
  expect(OVERFLOW_ROUTE).toBe('other');
}, 30_000);
