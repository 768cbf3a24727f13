// The trace list of an app in four shards answers as one store does, and as the spans sent say:
// traces whose spans came from instances in several shards are filtered and ordered by their whole
// start and duration, for every filter, sort, page size and cursor.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { Batch, Span } from '../../src/core/wire-format.ts';
import { shardOf } from '../../src/edge/shards.ts';
import { makeBatch } from '../support/batch.ts';
import { seededRandom } from '../support/random.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const MINUTE = 60_000;
/** One instance in each of the four shards. */
const INSTANCES = [0, 1, 2, 3].map((k) => {
  for (let n = 0; ; n++) if (shardOf(`trace-${n}:1`, 4) === k) return `trace-${n}:1`;
});
const base = (() => {
  const t = Date.now() - 40 * MINUTE;
  return t - (t % MINUTE);
})();
/** The reviewer's case, in its own window: A (root on shard 0, child on shard 1: 750 ms whole), B (700 ms, one span), C (800 ms, like A). */
const REPRO = base + 20 * MINUTE;

let one: LocalEdge;
let four: LocalEdge;
const spans: Array<Span & { instance: string }> = [];

const hex = (n: number, length: number) => n.toString(16).padStart(length, '0');
function span(trace: number, n: number, instance: string, start: number, duration: number, extra: Partial<Span> = {}): void {
  spans.push({ traceId: hex(trace, 32), spanId: hex(trace * 16 + n + 1, 16), name: `op ${n}`, kind: 'client', startTime: start, duration, status: 'ok', tags: {}, logs: [], instance, ...extra });
}
const root = (route: string, method: string) => ({ kind: 'server' as const, name: `${method} ${route}`, tags: { 'http.route': route, 'http.method': method } });

/** A trace as the test computes it from its spans: what each edge must list. */
function wholeOf(traceId: string) {
  const mine = spans.filter((s) => s.traceId === traceId);
  const head = mine.find((s) => s.parentSpanId === undefined)!;
  const startTime = Math.min(...mine.map((s) => s.startTime));
  return {
    traceId, startTime, duration: Math.max(...mine.map((s) => s.startTime + s.duration)) - startTime, name: head.name,
    route: head.tags['http.route'], method: head.tags['http.method'], error: mine.some((s) => s.status === 'error'), spanCount: mine.length,
  };
}

interface Filter { from: number; to: number; route?: string; method?: string; minDuration?: number; errors?: boolean }

function expected(filter: Filter, sort: 'recent' | 'slowest') {
  const key = (t: ReturnType<typeof wholeOf>) => (sort === 'slowest' ? t.duration : t.startTime);
  return [...new Set(spans.map((s) => s.traceId))].map(wholeOf)
    .filter((t) => t.startTime >= filter.from && t.startTime < filter.to && (filter.route === undefined || t.route === filter.route)
      && (filter.method === undefined || t.method === filter.method) && t.duration >= (filter.minDuration ?? 0) && (!filter.errors || t.error))
    .sort((a, b) => key(b) - key(a) || (b.traceId < a.traceId ? -1 : 1));
}

const pathOf = (filter: Filter, sort: string, limit: number, cursor: string | null) => `/api/v1/apps/shop/traces?from=${filter.from}&to=${filter.to}&sort=${sort}&limit=${limit}`
  + `${filter.route ? `&route=${encodeURIComponent(filter.route)}` : ''}${filter.method ? `&method=${filter.method}` : ''}`
  + `${filter.minDuration !== undefined ? `&minDuration=${filter.minDuration}` : ''}${filter.errors ? '&errors=true' : ''}${cursor ? `&cursor=${cursor}` : ''}`;

/** Every page of a listing, followed by its cursors. */
async function pages(edge: LocalEdge, filter: Filter, sort: string, limit: number): Promise<any[]> {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await apiOk(edge, pathOf(filter, sort, limit, cursor));
    all.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && all.length < 200);
  return all;
}

beforeAll(async () => {
  [one, four] = await Promise.all([startEdge(), startEdge({ bindings: { SHARDS: '4' } })]);
  const random = seededRandom(11);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // Forty traces over ten minutes: a root span and up to three spans from other instances, which may
  // begin before the root (clock skew) and end after it; some spans fail.
  for (let t = 1; t <= 40; t++) {
    const start = base + int(0, 10 * MINUTE);
    const duration = int(20, 600);
    const status = () => (random() < 0.12 ? 'error' as const : 'ok' as const);
    span(t, 0, INSTANCES[int(0, 3)]!, start, duration, { ...root(['/a', '/b', '/c'][t % 3]!, t % 4 === 0 ? 'POST' : 'GET'), status: status() });
    for (let n = 1; n <= int(0, 3); n++) {
      span(t, n, INSTANCES[int(0, 3)]!, start + int(-150, duration), int(10, 700), { parentSpanId: hex(t * 16 + 1, 16), status: status(), tags: { 'http.route': '/child' } });
    }
  }
  span(0xaaa, 0, INSTANCES[0]!, REPRO, 400, root('/a', 'GET'));
  span(0xaaa, 1, INSTANCES[1]!, REPRO + 300, 450, { parentSpanId: hex(0xaaa * 16 + 1, 16) });
  span(0xbbb, 0, INSTANCES[2]!, REPRO + 1_000, 700, root('/b', 'GET'));
  span(0xccc, 0, INSTANCES[0]!, REPRO + 2_000, 400, root('/c', 'GET'));
  span(0xccc, 1, INSTANCES[1]!, REPRO + 2_300, 500, { parentSpanId: hex(0xccc * 16 + 1, 16) });
  // Each instance's spans in two batches, so that one store also merges a trace's parts.
  for (const instance of INSTANCES) {
    const mine = spans.filter((s) => s.instance === instance).map(({ instance: _, ...s }) => s);
    for (const [i, part] of [mine.filter((_, j) => j % 2 === 0), mine.filter((_, j) => j % 2 === 1)].entries()) {
      const batch: Batch = { ...makeBatch(), batchId: `traces-batch-${instance.replace(':', '-')}-${i}`, rollups: [], samples: [], profiles: [], spans: part };
      batch.identity = { ...batch.identity, instance };
      for (const edge of [one, four]) await ingestOk(edge, batch, { headers: { 'x-bun-apm-instance': encodeURIComponent(instance) } });
    }
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([one?.dispose(), four?.dispose()]);
});

describe('the trace list over shards', () => {
  test('the spans are spread so that traces cross shards', () => {
    const crossing = [...new Set(spans.map((s) => s.traceId))].filter((id) => new Set(spans.filter((s) => s.traceId === id).map((s) => shardOf(s.instance, 4))).size > 1);
    expect(crossing.length).toBeGreaterThan(10);
  });

  test('the reviewer\'s case: a minimum duration, the slowest first and a page of three see whole traces', async () => {
    const window = { from: REPRO - MINUTE, to: REPRO + MINUTE };
    const ids = (page: any) => page.items.map((t: any) => [t.traceId.slice(-1), t.duration]);
    const q = (extra: string) => `/api/v1/apps/shop/traces?from=${window.from}&to=${window.to}${extra}`;
    for (const edge of [one, four]) {
      expect(ids(await apiOk(edge, q('&minDuration=500')))).toEqual([['c', 800], ['b', 700], ['a', 750]]);
      expect(ids(await apiOk(edge, q('&minDuration=720')))).toEqual([['c', 800], ['a', 750]]);
      expect(ids(await apiOk(edge, q('&sort=slowest&limit=10')))).toEqual([['c', 800], ['a', 750], ['b', 700]]);
      const three = await apiOk(edge, q('&limit=3'));
      expect([ids(three), three.nextCursor]).toEqual([[['c', 800], ['b', 700], ['a', 750]], null]);
    }
  });

  const windows: Filter[] = [{ from: base - MINUTE, to: base + 12 * MINUTE }, { from: base + 3 * MINUTE, to: base + 7 * MINUTE }];
  const filters: Array<Omit<Filter, 'from' | 'to'>> = [{}, { minDuration: 400 }, { errors: true }, { route: '/b' }, { method: 'POST' }, { route: '/a', minDuration: 200 }, { route: '/child' }];
  for (const sort of ['recent', 'slowest'] as const) {
    test(`sorted ${sort}: every filter and page size lists what one store lists, as the spans say`, async () => {
      for (const window of windows) for (const extra of filters) for (const limit of [1, 3, 50]) {
        const filter = { ...window, ...extra };
        const want = expected(filter, sort);
        const [single, sharded] = await Promise.all([pages(one, filter, sort, limit), pages(four, filter, sort, limit)]);
        const label = JSON.stringify({ sort, limit, ...extra, window: windows.indexOf(window) });
        // Page by page: the same traces, whole, and a next page exactly when one store has one.
        expect([label, sharded.map((p) => [p.items, p.nextCursor !== null])]).toEqual([label, single.map((p) => [p.items, p.nextCursor !== null])]);
        expect([label, sharded.flatMap((p) => p.items)]).toEqual([label, want.map((t) => expect.objectContaining(t))]);
        expect(sharded.flatMap((p) => p.warnings ?? [])).toEqual([]);
      }
    }, 120_000);
  }
});
