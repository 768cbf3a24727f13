// Detail records in both layouts: the same traffic stored once half in the first layout (a row per
// sample, span and profile, written by the fixture with that version's own SQL) and half in chunks
// (app `shop`), and once all in chunks (app `blog`). Every detail read answers the same in both:
// samples, traces, each trace, profiles, the export, the status counts, and what retention and the
// caps leave. A trace whose spans lie in both layouts reads whole.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { apiOk, eventually, exportAll, ingestOk, KEYS, startEdge } from './support/edge.ts';
import { generateTraffic } from './support/traffic.ts';

const ENTRY = join(import.meta.dir, 'fixtures/legacy-layout-entry.js');
const NOW = Date.now();
const HOUR = 3_600_000;

let edge: LocalEdge;
let capped: LocalEdge;

const asBlog = (batch: Batch): Batch => ({ ...batch, batchId: `${batch.batchId}-blog`, identity: { ...batch.identity, app: 'blog' } });
const noDetail = (batch: Batch): Batch => ({ ...batch, samples: [], spans: [], profiles: [] });

/** A trace of two spans sent in two batches of one instance: its root first, its child a minute later. */
function splitTrace(end: number): [Batch, Batch] {
  const traceId = newTraceId();
  const root = newSpanId();
  const start = end - 10 * 60_000;
  const base = generateTraffic({ end, minutes: 1, perMinute: 1, seed: 77 }).batches[0]!;
  const of = (id: string, spans: Batch['spans']): Batch => ({ ...base, batchId: `split-${id}-${start}`, rollups: [], samples: [], profiles: [], spans });
  return [
    of('a', [{ traceId, spanId: root, name: 'GET /split', kind: 'server', startTime: start, duration: 300, status: 'ok', tags: { 'http.route': '/split', 'http.method': 'GET', 'http.status_code': 200 }, logs: [] }]),
    of('b', [{ traceId, spanId: newSpanId(), parentSpanId: root, name: 'slow call', kind: 'client', startTime: start + 200, duration: 500, status: 'error', error: 'Timeout', tags: {}, logs: [{ timestamp: start + 700, level: 'error', message: 'gave up' }] }]),
  ];
}

/**
 * Stores `batches` in `app` of `target`: in `shop` every other batch's detail goes in by the
 * first layout (its counts through ingest), in `blog` all through ingest.
 */
async function store(target: LocalEdge, batches: Batch[], split: [Batch, Batch]): Promise<void> {
  const shop = await target.store('shop');
  for (const [i, batch] of batches.entries()) {
    if (i % 2 === 0) {
      await ingestOk(target, noDetail(batch));
      await shop.writeLegacyDetail(batch);
    } else {
      await ingestOk(target, batch);
    }
    await ingestOk(target, asBlog(batch), { key: KEYS.blogIngest });
  }
  await shop.writeLegacyDetail(split[0]);
  await ingestOk(target, split[1]);
  for (const part of split) await ingestOk(target, asBlog(part), { key: KEYS.blogIngest });
}

/** Every page of a listing, the items without their ids (which differ between layouts). */
async function allPages(target: LocalEdge, app: string, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor = '';
  for (let page = 0; page < 500; page++) {
    const body = await apiOk(target, `/api/v1/apps/${app}/${path}${path.includes('?') ? '&' : '?'}${cursor}`, KEYS.allRead);
    expect(body.warnings).toBeUndefined();
    items.push(...body.items.map(({ id: _id, ...rest }: any) => rest));
    if (body.nextCursor === null) return items;
    cursor = `cursor=${body.nextCursor}`;
  }
  throw new Error('too many pages');
}

const both = async (target: LocalEdge, path: string): Promise<[any[], any[]]> => [await allPages(target, 'shop', path), await allPages(target, 'blog', path)];

/** JSON with keys sorted: the layouts may put optional fields in another order. */
const canonical = (value: unknown): string => JSON.stringify(value, (_key, v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v);

const detailLines = async (target: LocalEdge, app: string) =>
  (await exportAll(target, app)).filter((l) => ['sample', 'span', 'profile'].includes(l.type)).map(({ id: _id, ...rest }) => canonical(rest)).sort();

let traffic: ReturnType<typeof generateTraffic>;
let split: [Batch, Batch];
const window = `from=${NOW - 3 * HOUR}&to=${NOW + HOUR}`;

beforeAll(async () => {
  [edge, capped] = await Promise.all([
    startEdge({ entryPath: ENTRY }),
    startEdge({ entryPath: ENTRY, bindings: { MAX_SAMPLES: '23', MAX_SPANS: '31', MAX_PROFILES: '5' } }),
  ]);
  traffic = generateTraffic({ end: NOW - HOUR, minutes: 12, perMinute: 40, seed: 21 });
  split = splitTrace(NOW - HOUR);
  await store(edge, traffic.batches, split);
  await store(capped, traffic.batches, split);
}, 120_000);

afterAll(async () => {
  await edge?.dispose();
  await capped?.dispose();
});

describe('detail records in the first layout and in chunks answer alike', () => {
  test('samples, page by page, with and without filters', async () => {
    for (const query of [`samples?${window}&limit=13`, `samples?${window}&limit=7&route=/orders`, `samples?${window}&limit=5&status=5xx`,
      `samples?${window}&limit=9&minDuration=100&method=GET`, `samples?from=${NOW - 2 * HOUR + 5 * 60_000}&to=${NOW - HOUR - 3 * 60_000}&limit=4`]) {
      const [shop, blog] = await both(edge, query);
      expect(shop.length).toBeGreaterThan(0);
      expect(shop).toEqual(blog);
    }
    const [all] = await both(edge, `samples?${window}&limit=1000`);
    expect(all).toHaveLength(traffic.samples.length);
  });

  test('traces, recent and slowest, filtered; every trace whole, also one split across layouts', async () => {
    for (const query of [`traces?${window}&limit=6`, `traces?${window}&limit=5&sort=slowest`, `traces?${window}&errors=true&limit=3`,
      `traces?${window}&route=/search&sort=slowest&limit=4`, `traces?${window}&minDuration=150&limit=50`]) {
      const [shop, blog] = await both(edge, query);
      expect(shop.length).toBeGreaterThan(0);
      expect(shop).toEqual(blog);
    }
    const [traces] = await both(edge, `traces?${window}&limit=500`);
    expect(traces).toHaveLength(traffic.samples.length + 1);
    for (const { traceId } of traces) {
      const [a, b] = [await apiOk(edge, `/api/v1/apps/shop/traces/${traceId}`, KEYS.allRead), await apiOk(edge, `/api/v1/apps/blog/traces/${traceId}`, KEYS.allRead)];
      expect(a).toEqual(b);
    }
    const whole = await apiOk(edge, `/api/v1/apps/shop/traces/${split[0].spans[0]!.traceId}`, KEYS.allRead);
    expect(whole.spans.map((s: any) => s.name)).toEqual(['GET /split', 'slow call']);
    const listed = traces.find((t) => t.traceId === split[0].spans[0]!.traceId);
    expect(listed).toMatchObject({ spanCount: 2, duration: 700, error: true, name: 'GET /split', route: '/split' });
  });

  test('a span sent again is stored once, whichever layout holds it', async () => {
    const again = { ...split[0], batchId: `${split[0].batchId}-again` };
    for (const app of ['shop', 'blog']) {
      await ingestOk(edge, app === 'shop' ? again : asBlog(again), app === 'shop' ? {} : { key: KEYS.blogIngest });
      const trace = await apiOk(edge, `/api/v1/apps/${app}/traces/${again.spans[0]!.traceId}`, KEYS.allRead);
      expect(trace.spans).toHaveLength(2);
    }
  });

  test('profiles, page by page and of one instance', async () => {
    for (const query of [`profiles?${window}&limit=4`, `profiles?${window}&limit=3&instance=host-b:1`]) {
      const [shop, blog] = await both(edge, query);
      expect(shop.length).toBeGreaterThan(0);
      expect(shop).toEqual(blog);
    }
  });

  test('the export holds the same records, and the status the same counts', async () => {
    expect(await detailLines(edge, 'shop')).toEqual(await detailLines(edge, 'blog'));
    const [shop, blog] = [await apiOk(edge, '/api/v1/apps/shop/status', KEYS.allRead), await apiOk(edge, '/api/v1/apps/blog/status', KEYS.allRead)];
    for (const kind of ['samples', 'spans', 'traces', 'profiles'] as const) expect(shop.rows[kind]).toBe(blog.rows[kind]);
    expect(shop.rows.samples).toBe(traffic.samples.length);
  });

  test('the caps keep the same newest records of either layout', async () => {
    for (const app of ['shop', 'blog']) {
      const store = await capped.store(app);
      const firedAt = Date.now();
      await store.fireAlarmNow();
      await eventually(async () => ((await store.status()).lastMaintenance >= firedAt ? true : undefined), 10_000, 'maintenance');
    }
    const [shop, blog] = [await detailLines(capped, 'shop'), await detailLines(capped, 'blog')];
    expect(shop).toEqual(blog);
    const count = (type: string) => shop.filter((line) => JSON.parse(line).type === type).length;
    expect([count('sample'), count('span'), count('profile')]).toEqual([23, 31, 5]);
    const newest = [...traffic.samples.map((s) => s.timestamp)].sort((a, b) => b - a).slice(0, 23).sort((a, b) => a - b);
    expect(shop.map((line) => JSON.parse(line)).filter((r) => r.type === 'sample').map((r) => r.timestamp).sort((a, b) => a - b)).toEqual(newest);
  });
});
