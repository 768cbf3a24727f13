// Chunk rows written straight into the store's SQLite, past ingest and its validator (as a later
// version's bug or damage could leave them): a body that is not JSON, not an array, too long;
// records of the wrong shape, failing the wire format's checks, or outside their chunk's minute.
// Every read leaves them out, says so in its warnings where it has them, and never fails; the
// sound records next to them are all there; retention and the caps still run.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { chunkBase, RECORDS_PER_CHUNK } from '../../src/edge/store/chunk-ids.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, eventually, exportAll, ingestOk, startEdge } from './support/edge.ts';
import { DASHBOARD_BINDINGS, readEverything } from './fuzz/readable.ts';

const MINUTE = 60_000;
const minute = Date.now() - (Date.now() % MINUTE) - 5 * MINUTE;
const TRACE = 'abcdef0123456789abcdef0123456789';
const sample = (t: number, extra: Record<string, unknown> = {}) => ({ timestamp: t, method: 'GET', path: '/x', route: '/x', statusCode: 200, duration: 5, ...extra });
const span = (t: number, extra: Record<string, unknown> = {}) => ({ traceId: TRACE, spanId: '00000000000000a1', name: 'GET /x', kind: 'server', startTime: t, duration: 5, status: 'ok', tags: {}, logs: [], ...extra });
const profile = (t: number, extra: Record<string, unknown> = {}) => ({ timestamp: t, rss: 1, heapUsed: 1, heapTotal: 1, cpuPercent: 1, eventLoopLagMs: 1, inFlight: 0, ...extra });

// One chunk id per row, all in `minute` (the damaged ones after the sound one: ids 1 and on).
const BODIES: Array<[table: string, body: string]> = [
  ['sample_chunks', JSON.stringify([['fuzz:1', sample(minute + 1)], ['fuzz:1', sample(minute + 2, { statusCode: 42 })], ['fuzz:1', { nope: true }],
    ['fuzz:1', sample(minute + 3 * MINUTE)], ['', sample(minute + 4)], ['fuzz:1', sample(minute + 5, { duration: 1e300 })]])],
  ['sample_chunks', 'not json {'],
  ['sample_chunks', JSON.stringify({ records: [] })],
  ['sample_chunks', JSON.stringify(Array.from({ length: RECORDS_PER_CHUNK + 1 }, () => ['fuzz:1', sample(minute + 6)]))],
  ['span_chunks', JSON.stringify([['api', 'fuzz:1', span(minute + 10)], ['api', 'fuzz:1', span(minute + 11, { kind: 'weird' })], ['api', 'fuzz:1', { traceId: TRACE }]])],
  ['span_chunks', '[1,2'],
  ['profile_chunks', JSON.stringify([['fuzz:1', profile(minute + 20)], ['fuzz:1', profile(minute + 21, { rss: -1 })], ['fuzz:1', profile(minute - 1)]])],
];

let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ entryPath: join(import.meta.dir, 'fuzz/fixtures/raw-sql-entry.js'), bindings: { ...DASHBOARD_BINDINGS, MAX_SAMPLES: '3' } });
  await ingestOk(edge, makeBatch());
  const store = await edge.store('shop');
  const counters: Record<string, number> = {};
  const ids: Record<string, number[]> = {};
  for (const [table, body] of BODIES) {
    const id = chunkBase(minute) + 1 + (counters[table] = (counters[table] ?? 0) + 1);
    (ids[table] ??= []).push(id);
    await store.rawExec(`INSERT INTO ${table} (id, first, last, records, body) VALUES (?, ?, ?, ?, ?)`, [id, minute, minute + MINUTE - 1, 6, body]);
  }
  await store.rawExec(`INSERT INTO trace_summaries (trace_id, start_time, end_time, duration, name, route, method, status_code, error, span_count, root_known, service, chunks)
    VALUES (?, ?, ?, 5, 'GET /x', '/x', 'GET', 200, 0, 3, 1, 'api', ?)`, [TRACE, minute + 10, minute + 15, JSON.stringify([...ids.span_chunks!, 12345])]);
  // Its entry in the trace index, and a damaged one.
  await store.rawExec(`INSERT INTO trace_chunks (id, first, last, records, body) VALUES (?, ?, ?, 2, ?)`,
    [chunkBase(minute) + 1, minute + 10, minute + 10, JSON.stringify([[TRACE, minute + 10], ['not-a-trace-id', 1]])]);
});

afterAll(async () => {
  await edge?.dispose();
});

const window = `from=${minute - MINUTE}&to=${Date.now() + MINUTE}`;

describe('damaged chunks', () => {
  test('samples: the sound record is listed, the rest counted in warnings', async () => {
    const page = await apiOk(edge, `/api/v1/apps/shop/samples?${window}&route=/x`);
    expect(page.items.map((s: any) => s.timestamp)).toEqual([minute + 1]);
    expect(page.warnings).toHaveLength(1);
    // 5 bad records of the first chunk, and three chunks unreadable as a whole.
    expect(page.warnings[0]).toMatch(/^8 stored rows could not be read and were left out \(first: sample_chunks row \d+: /);
  });

  test('the trace list finds the trace through the index, and names the damaged entry', async () => {
    const page = await apiOk(edge, `/api/v1/apps/shop/traces?${window}`);
    expect(page.items.map((t: any) => t.traceId)).toContain(TRACE);
    expect(page.warnings[0]).toMatch(/^1 stored row could not be read/);
  });

  test('a trace keeps its sound span, names the rest, skips a chunk id that is gone', async () => {
    const trace = await apiOk(edge, `/api/v1/apps/shop/traces/${TRACE}`);
    expect(trace.spans.map((s: any) => s.startTime)).toEqual([minute + 10]);
    expect(trace.warnings[0]).toMatch(/^3 stored rows could not be read/);
  });

  test('profiles: the sound one, and a warning', async () => {
    const page = await apiOk(edge, `/api/v1/apps/shop/profiles?from=${minute}&to=${minute + MINUTE}&instance=fuzz:1`);
    expect(page.items.map((p: any) => p.timestamp)).toEqual([minute + 20]);
    expect(page.warnings[0]).toMatch(/^2 stored rows could not be read/);
  });

  test('the export names what it left out and ends counted', async () => {
    const lines = await exportAll(edge);
    expect(lines.filter((l) => l.type === 'unreadable').map((l) => l.table).sort()).toEqual(['profiles', 'samples', 'spans']);
    expect(lines.at(-1)).toEqual({ type: 'end', records: lines.length - 2 });
    expect(lines.filter((l) => l.type === 'sample' && l.instance === 'fuzz:1').map((l) => l.timestamp)).toEqual([minute + 1]);
  });

  test('every read of the app answers, the dashboard too', async () => {
    expect(await readEverything(edge, { from: minute - MINUTE, to: Date.now() + MINUTE, budgetMs: 3_000, traceIds: [TRACE] })).toEqual({ trace: expect.any(Array) });
  });

  test('the caps run over damaged chunks: the newest sound samples are kept', async () => {
    const store = await edge.store('shop');
    const firedAt = Date.now();
    await store.fireAlarmNow();
    await eventually(async () => ((await store.status()).lastMaintenance >= firedAt ? true : undefined), 10_000, 'maintenance');
    expect((await store.status()).rows.samples).toBeLessThanOrEqual(3);
    const page = await apiOk(edge, `/api/v1/apps/shop/samples?${window}&limit=100`);
    expect(page.items.length).toBeGreaterThan(0);
  });
});
