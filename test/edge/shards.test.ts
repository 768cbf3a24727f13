// Sharded stores (SHARDS): each batch goes to the shard of the instance its header names, checked
// against the batch; a batch without the header goes to its instance's shard too; usage and the
// export cover every shard; a SHARDS that is not a count is named.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { shardName, shardOf } from '../../src/edge/shards.ts';
import { makeBatch } from '../support/batch.ts';
import { api, apiOk, exportAll, ingest, ingestOk, KEYS, startEdge } from './support/edge.ts';

const INSTANCES = Array.from({ length: 12 }, (_, i) => `web-${i}:${100 + i}`);
let edge: LocalEdge;

const from = (instance: string) => {
  const batch = makeBatch(Date.now());
  return { ...batch, batchId: `${batch.batchId}-${instance.replace(':', '-')}`, identity: { ...batch.identity, instance } };
};
const named = (instance: string) => ({ headers: { 'x-bun-apm-instance': encodeURIComponent(instance) } });

beforeAll(async () => {
  edge = await startEdge({ bindings: { SHARDS: JSON.stringify({ '*': 1, shop: 4 }) } });
  for (const instance of INSTANCES) await ingestOk(edge, from(instance), named(instance));
});

afterAll(async () => {
  await edge?.dispose();
});

describe('sharded stores', () => {
  test('each batch is stored by the shard of its instance, and only there', async () => {
    const expected = new Map<number, string[]>();
    for (const instance of INSTANCES) expected.set(shardOf(instance, 4), [...(expected.get(shardOf(instance, 4)) ?? []), instance]);
    // Twelve instances spread over more than one shard.
    expect(expected.size).toBeGreaterThan(1);
    for (let k = 0; k < 4; k++) {
      const stored = (await (await edge.store(shardName('shop', k))).instances()).map((i: any) => i.instance).sort();
      expect(stored).toEqual((expected.get(k) ?? []).sort());
    }
  });

  test('a retried batch is a duplicate in its shard', async () => {
    const batch = from(INSTANCES[3]!);
    await ingestOk(edge, batch, named(INSTANCES[3]!));
    expect((await ingest(edge, batch, named(INSTANCES[3]!))).status).toBe(200);
  });

  test('the header must name the batch\'s instance; without it the batch goes to its instance\'s shard all the same', async () => {
    const mismatch = await ingest(edge, from('web-0:100'), named('web-1:101'));
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as any).error.code).toBe('instance_mismatch');
    expect((await ingest(edge, from('web-0:100'), { headers: { 'x-bun-apm-instance': '%E0%A4%A' } })).status).toBe(400);
    await ingestOk(edge, from('legacy-client:1'));
    expect(shardOf('legacy-client:1', 4)).not.toBe(0);
    expect((await (await edge.store(shardName('shop', shardOf('legacy-client:1', 4)))).instances()).map((i: any) => i.instance)).toContain('legacy-client:1');
    expect((await (await edge.store('shop')).instances()).map((i: any) => i.instance)).not.toContain('legacy-client:1');
    // An app with one shard takes the header and stores everything in its own store.
    await ingestOk(edge, { ...from('blog-1:1'), identity: { ...from('blog-1:1').identity, app: 'blog' } }, { key: KEYS.blogIngest, ...named('blog-1:1') });
    expect((await (await edge.store('blog')).instances()).map((i: any) => i.instance)).toEqual(['blog-1:1']);
  });

  test('usage sums the shards; the export holds every shard\'s records', async () => {
    const usage = await apiOk(edge, '/api/v1/apps/shop/usage');
    // Each instance's batch, the retried one twice, the mismatch (refused by its store) and the
    // header-less one once: shard 0 handing it on is a store request, not an ingest (found by a review).
    expect(usage.days[0].ingestRequests).toBe(INSTANCES.length + 2 + 1 + 1);
    // Its bytes once too: beyond the instances' bytes only the mismatch's (a batch like the legacy one).
    const bytes = (name: string) => usage.instances.find((i: any) => i.instance === name).ingestBytes as number;
    const outside = usage.days[0].ingestBytes - usage.instances.reduce((sum: number, i: any) => sum + i.ingestBytes, 0);
    expect(outside / bytes('legacy-client:1')).toBeCloseTo(1, 1);
    expect(usage.instances.map((i: any) => i.instance).sort()).toEqual([...INSTANCES, 'legacy-client:1'].sort());
    const lines = await exportAll(edge);
    expect(lines[0]).toMatchObject({ type: 'export', shards: 4 });
    expect(lines.filter((l) => l.type === 'instance').map((l) => l.instance).sort()).toEqual([...INSTANCES, 'legacy-client:1'].sort());
    expect(lines.filter((l) => l.type === 'sample')).toHaveLength(INSTANCES.length + 2);
    expect(lines.at(-1)).toEqual({ type: 'end', records: lines.length - 2 });
  });

  test('the key check (doctor) answers today\'s use of every shard, not shard 0\'s alone', async () => {
    await apiOk(edge, '/api/v1/apps/shop/usage'); // every shard folds what it holds
    const response = await fetch(new URL('/v1/check', edge.url), { method: 'POST', headers: { authorization: `Bearer ${KEYS.shopIngest}` } });
    expect(response.status).toBe(200);
    const check = (await response.json()) as any;
    // Storage is what reads do not change: the check's must be the four shards' sizes added up.
    const stored = (today: any) => today.quotas.find((q: any) => q.kind === 'storedBytes').used as number;
    const shards = await Promise.all([0, 1, 2, 3].map(async (k) => stored(await (await edge.store(shardName('shop', k))).usageToday())));
    expect(stored(check.usage)).toBe(shards.reduce((a, b) => a + b, 0));
    expect(stored(check.usage)).toBeGreaterThan(shards[0]!);
  });

  test('a batch is stored once whether or not each of its copies names its instance', async () => {
    // Found by a review: batches without the header went to shard 0, where the batch ids of another shard's instance are not known.
    const instance = INSTANCES.find((i) => shardOf(i, 4) !== 0)!;
    for (const [n, order] of [[true, false, true], [false, true, false]].entries()) {
      const batch = { ...from(instance), batchId: `twice-${n}-${Date.now()}` };
      const statuses = [];
      for (const header of order) statuses.push((await ingest(edge, batch, header ? named(instance) : {})).status);
      expect(statuses).toEqual([202, 200, 200]);
      const samples = await apiOk(edge, `/api/v1/apps/shop/samples?from=0&to=${Date.now() + 60_000}&limit=1000`);
      expect(samples.items.filter((s: any) => s.traceId === batch.samples[0]!.traceId)).toHaveLength(1);
    }
  });

  test('a SHARDS that is not a count of 1..64 is named', async () => {
    const broken = await startEdge({ bindings: { SHARDS: '{"shop": 0}' } });
    try {
      const { status, body } = await api(broken, '/api/v1/apps/shop/usage');
      expect(status).toBe(503);
      expect(body.error).toEqual({ code: 'config_error', message: 'SHARDS.shop: expected an integer 1..64, got 0' });
    } finally {
      await broken.dispose();
    }
  });

  test('a trace whose spans came from instances in two shards is listed once, whole, on every page size', async () => {
    // Found by a review: each shard's row of the trace was listed, each with its own part's figures.
    const [first, second] = [INSTANCES.find((i) => shardOf(i, 4) === 0)!, INSTANCES.find((i) => shardOf(i, 4) === 2)!];
    const traceId = 'c'.repeat(31) + '1';
    const root = '1'.repeat(16);
    const at = Date.now() - 5_000;
    const span = (spanId: string, name: string, start: number, duration: number, status: 'ok' | 'error', parentSpanId?: string) => ({
      traceId, spanId, name, kind: 'server', startTime: start, duration, status, tags: { 'http.route': name.split(' ')[1]! }, logs: [], ...(parentSpanId && { parentSpanId }),
    });
    for (const [instance, spans] of [[first, [span(root, 'GET /a', at, 400, 'ok')]], [second, [span('2'.repeat(16), 'GET /c', at + 100, 200, 'error', root)]]] as const) {
      const batch = from(instance);
      await ingestOk(edge, { ...batch, batchId: `${batch.batchId}-trace`, rollups: [], samples: [], profiles: [], spans }, named(instance));
    }
    for (const limit of [1, 2, 50]) {
      const listed: any[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await apiOk(edge, `/api/v1/apps/shop/traces?from=${at - 60_000}&to=${at + 60_000}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        listed.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      const ours = listed.filter((t) => t.traceId === traceId);
      expect(ours).toEqual([expect.objectContaining({ name: 'GET /a', startTime: at, duration: 400, spanCount: 2, error: true })]);
      expect(new Set(listed.map((t) => t.traceId)).size).toBe(listed.length);
    }
    const slow = await apiOk(edge, `/api/v1/apps/shop/traces?from=${at - 60_000}&to=${at + 60_000}&sort=slowest&limit=50`);
    expect(slow.items.filter((t: any) => t.traceId === traceId).map((t: any) => t.duration)).toEqual([400]);
    // Filters apply to the whole trace, as in one store: its error counts; its second row's route and start do not.
    for (const [filter, listed] of [['errors=true', true], ['route=%2Fc', false], [`from=${at + 50}&to=${at + 60_000}`, false]] as const) {
      const window = filter.startsWith('from=') ? filter : `from=${at - 60_000}&to=${at + 60_000}&${filter}`;
      const found = (await apiOk(edge, `/api/v1/apps/shop/traces?${window}&limit=50`)).items.filter((t: any) => t.traceId === traceId);
      expect([filter, found]).toEqual([filter, listed ? [expect.objectContaining({ name: 'GET /a', startTime: at, duration: 400, spanCount: 2, error: true })] : []]);
    }
  }, 60_000);

  test('an app named after an Object.prototype member (constructor, toString) keeps and shows its data', async () => {
    // Found by a review: SHARDS' lookup found Object.prototype's `constructor` for the app: zero
    // stores to read (every answer empty, usage a 500) and its batches in a store named `constructor#NaN`.
    const ingestKey = 'ingest-ctor-0123456789abcdef';
    const readKey = 'read-ctor-0123456789abcdef';
    const odd = await startEdge({ bindings: { INGEST_KEYS: `constructor:${ingestKey},toString:${ingestKey}x`, API_KEYS: `constructor:${readKey}` } });
    try {
      const batch = makeBatch(Date.now());
      const sent = batch.rollups.reduce((sum, cell) => sum + cell.count, 0);
      await ingestOk(odd, { ...batch, identity: { ...batch.identity, app: 'constructor' } }, { key: ingestKey, ...named(batch.identity.instance) });
      expect((await apiOk(odd, '/api/v1/apps/constructor/summary?from=0', readKey)).requests).toBe(sent);
      expect((await apiOk(odd, '/api/v1/apps/constructor/instances', readKey)).instances.map((i: { instance: string }) => i.instance)).toEqual([batch.identity.instance]);
      expect((await api(odd, '/api/v1/apps/constructor/usage', readKey)).status).toBe(200);
      expect((await apiOk(odd, '/api/v1/apps/constructor/status', readKey)).shards).toBe(1);
    } finally {
      await odd.dispose();
    }
  }, 60_000);

  test('an instance moved by a raise of SHARDS is listed once, its figures over both shards', async () => {
    const instance = 'moved-by-raise:7';
    expect(shardOf(instance, 4)).not.toBe(0);
    // Before the raise (one shard) its batch went to the app's own store, shard 0.
    const before = { ...from(instance), batchId: 'before-the-raise-0001' };
    const bytes = new TextEncoder().encode(JSON.stringify(before));
    expect(((await (await edge.store('shop')).ingest({ app: 'shop', bytes, gzip: false })) as { status: string }).status).toBe('accepted');
    const after = from(instance);
    await ingestOk(edge, after, named(instance));
    const listed = (await apiOk(edge, '/api/v1/apps/shop/instances')).instances.filter((i: any) => i.instance === instance);
    // It had been listed twice, once per shard.
    expect(listed.map((i: any) => [i.instance, i.batches])).toEqual([[instance, 2]]);
    expect(listed[0].lastSeen).toBeGreaterThanOrEqual(listed[0].firstSeen);
  });

  test('an instance of CJK or emoji up to the name bound is taken with its header; one past it is named (a review: 45 CJK characters were refused)', async () => {
    // The batch id of from() holds the instance: not these.
    const wide = (instance: string, i: number) => ({ ...from(instance), batchId: `${makeBatch().batchId}-wide-${i}` });
    for (const [i, instance] of ['店'.repeat(128), '🚀'.repeat(64), 'é'.repeat(128)].entries()) {
      const answer = await ingest(edge, wide(instance, i), named(instance));
      expect([instance.slice(0, 2), answer.status]).toEqual([instance.slice(0, 2), 202]);
      expect((await (await edge.store(shardName('shop', shardOf(instance, 4)))).instances()).map((i: any) => i.instance)).toContain(instance);
    }
    const over = await ingest(edge, wide('店'.repeat(129), 3), named('店'.repeat(129)));
    expect([over.status, ((await over.json()) as any).error.code]).toEqual([400, 'invalid_instance']);
  });
});
