// The trace list over two shards at scale, against one store: a rare match (the oldest of 7,000
// traces) is found by the API following cursors and by the dashboard, at a bounded count of store
// calls; a trace whose root starts after the window's end is filtered by its root's route.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { Batch, Span } from '../../src/core/wire-format.ts';
import { shardName, shardOf } from '../../src/edge/shards.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const MINUTE = 60_000;
const DASHBOARD_KEY = 'dash-key-0123456789abcdef';
const PER_INSTANCE = 3_500;
/** One instance in each of the two shards. */
const INSTANCES = [0, 1].map((k) => {
  for (let n = 0; ; n++) if (shardOf(`scale-${n}:1`, 2) === k) return `scale-${n}:1`;
});
const end = Date.now() - (Date.now() % MINUTE) - 2 * MINUTE;
const start = end - 40 * MINUTE;
const hex = (n: number, length: number) => n.toString(16).padStart(length, '0');
const RARE = hex(1, 32);
/** A trace whose child (shard 1) starts before the window's end and its root (shard 0, route /late) after it. */
const LATE = hex(0xfade, 32);

let one: LocalEdge;
let two: LocalEdge;

function span(trace: string, n: number, at: number, extra: Partial<Span> = {}): Span {
  return { traceId: trace, spanId: hex(n, 16), name: 'GET /a', kind: 'server', startTime: at, duration: 20, status: 'ok', tags: { 'http.route': '/a', 'http.method': 'GET' }, logs: [], ...extra };
}

/** Usage over every shard: store calls (reads, each usage read its own too) and rows read so far. */
async function usage(edge: LocalEdge, shards: number): Promise<{ reads: number; rowsRead: number }> {
  let reads = 0;
  let rowsRead = 0;
  for (let k = 0; k < shards; k++) {
    const day = ((await (await edge.store(shardName('shop', k))).usageReport(1)) as any).days[0];
    reads += day.reads;
    rowsRead += day.rowsRead;
  }
  return { reads, rowsRead };
}

beforeAll(async () => {
  [one, two] = await Promise.all([startEdge(), startEdge({ bindings: { SHARDS: '2', DASHBOARD_API_KEY: DASHBOARD_KEY } })]);
  // Trace 1 (instance 0's oldest) is the only error and the only /rare; the others are /a, ok.
  const spans = INSTANCES.map((_, i) => Array.from({ length: PER_INSTANCE }, (_, j) => {
    const n = 1 + i + 2 * j;
    const at = start + Math.floor((n * 40 * MINUTE) / (2 * PER_INSTANCE + 2));
    return n === 1 ? span(hex(n, 32), n, at, { status: 'error', name: 'GET /rare', tags: { 'http.route': '/rare', 'http.method': 'GET' } }) : span(hex(n, 32), n, at);
  }));
  spans[1]!.push(span(LATE, 0xfade1, end - 100, { kind: 'client', name: 'child', parentSpanId: hex(0xfade0, 16), tags: { 'http.route': '/child' } }));
  spans[0]!.push(span(LATE, 0xfade0, end + 50, { name: 'GET /late', tags: { 'http.route': '/late', 'http.method': 'GET' } }));
  await Promise.all([one, two].map(async (edge) => {
    for (const [i, instance] of INSTANCES.entries()) {
      const batch: Batch = { ...makeBatch(), batchId: `scale-traces-batch-${i}`, rollups: [], samples: [], profiles: [], spans: spans[i]! };
      batch.identity = { ...batch.identity, instance: instance! };
      await ingestOk(edge, batch, { gzip: true, headers: { 'x-bun-apm-instance': encodeURIComponent(instance!) } });
    }
  }));
}, 60_000);

afterAll(async () => {
  await Promise.all([one?.dispose(), two?.dispose()]);
});

/** Every page of a listing, followed by its cursors, and the store calls and rows read of each page. */
async function pages(edge: LocalEdge, shards: number, query: string): Promise<{ items: any[]; calls: number[]; rows: number[]; warnings: string[] }> {
  const found = { items: [] as any[], calls: [] as number[], rows: [] as number[], warnings: [] as string[] };
  let cursor: string | null = null;
  do {
    const before = await usage(edge, shards);
    const page: any = await apiOk(edge, `/api/v1/apps/shop/traces?from=${start}&to=${end}&${query}${cursor ? `&cursor=${cursor}` : ''}`);
    const after = await usage(edge, shards);
    found.items.push(...page.items);
    found.calls.push(after.reads - before.reads - shards);
    found.rows.push(after.rowsRead - before.rowsRead);
    found.warnings.push(...(page.warnings ?? []));
    cursor = page.nextCursor;
  } while (cursor !== null && found.calls.length < 20);
  return found;
}

describe('the trace list over two shards at scale', () => {
  test('a rare error or route is found, as one store finds it, at a bounded cost', async () => {
    for (const query of ['errors=true&limit=50', 'route=%2Frare&limit=50']) {
      const [single, sharded] = await Promise.all([pages(one, 1, query), pages(two, 2, query)]);
      expect(single.items.map((t) => t.traceId)).toEqual([RARE]);
      expect(sharded.items).toEqual(single.items);
      // It had taken 148 and 64 store calls and read 295,000 rows (one store: a call, 14,000 rows).
      for (const calls of sharded.calls) expect(calls).toBeLessThanOrEqual(20);
      expect(sharded.calls.length).toBeLessThanOrEqual(3);
      const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
      expect(sum(sharded.rows)).toBeLessThan(2 * sum(single.rows));
    }
    // The route goes down to the shards: one page, a call of each shard.
    const routed = await pages(two, 2, 'route=%2Frare&limit=50');
    expect(routed.calls).toEqual([expect.any(Number)]);
    expect(routed.calls[0]).toBeLessThanOrEqual(4);
  }, 60_000);

  test('a page cut short by the read\'s cap says so, and its cursor goes on', async () => {
    const first = await apiOk(two, `/api/v1/apps/shop/traces?from=${start}&to=${end}&errors=true&limit=50`);
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    expect(first.warnings).toEqual([expect.stringMatching(/^\d+ trace rows were examined: .*more traces may match further back/)]);
  });

  test('a trace is filtered by its root\'s route, also when the root starts after the window\'s end', async () => {
    for (const edge of [one, two]) {
      const listed = await apiOk(edge, `/api/v1/apps/shop/traces?from=${end - MINUTE}&to=${end}&route=%2Flate`);
      expect(listed.items.map((t: any) => [t.traceId, t.route, t.startTime])).toEqual([[LATE, '/late', end - 100]]);
    }
  });

  test('the dashboard\'s traces panel finds the rare match, by error or by route', async () => {
    for (const filter of ['errors=1', 'route=%2Frare']) {
      const response = await fetch(new URL(`/performance/fragments/traces?app=shop&range=1h&${filter}`, two.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect([filter, [...html.matchAll(/\/traces\/([0-9a-f]{32})/g)].map((m) => m[1])]).toEqual([filter, [RARE]]);
    }
  }, 30_000);
});
