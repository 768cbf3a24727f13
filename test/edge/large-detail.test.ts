// Detail at the wire format's limits, in workerd with its SQLite Durable Objects: each batch was
// valid and once failed (fuzz corpus, found by an adversarial review). A minute of 2,000 spans with
// 1,000-character tags outgrew a SQLite row (500, batch lost, counts too); a trace grown by batch
// after batch, or of spans near LIMITS.spanLength, outgrew an RPC result (the trace API and page
// 500, the export cut short). Now chunks are split by size, a trace keeps at most MAX_TRACE_SPANS,
// a trace read and an export page are bounded in characters, and each says what it left out.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { LIMITS, type Span } from '../../src/core/wire-format.ts';
import { MAX_TRACE_SPANS, TRACE_READ_LENGTH } from '../../src/edge/store/traces.ts';
import { makeBatch } from '../support/batch.ts';
import { DASHBOARD_BINDINGS, DASHBOARD_KEY } from './fuzz/readable.ts';
import { apiOk, eventually, exportAll, ingestOk, startEdge } from './support/edge.ts';

let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ bindings: DASHBOARD_BINDINGS });
});

afterAll(async () => {
  await edge?.dispose();
});

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
let batchSeq = 0;
const span = (traceId: string, n: number, startTime: number, extra: Partial<Span> = {}): Span => ({
  traceId, spanId: hex(n + 1, 16), name: 'db.query', kind: 'client', startTime, duration: 2.5, status: 'ok', tags: {}, logs: [], ...extra,
});
const batchOf = (spans: Span[], now: number) => ({ ...makeBatch(now), batchId: `large-detail-${++batchSeq}-${now}`, spans });
const requestsCounted = async () => (await apiOk(edge, `/api/v1/apps/shop/summary?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`)).requests as number;
const spansExported = async (traceId: string) => (await exportAll(edge)).filter((line) => line.type === 'span' && line.traceId === traceId);

describe('detail at the limits is stored, read and exported whole, or says what it left out', () => {
  test('a minute of 2,000 spans of 1,000-character tags: accepted, counted, every span stored', async () => {
    const now = Date.now() - 20_000;
    const minute = now - (now % 60_000);
    const before = await requestsCounted();
    const spans = Array.from({ length: 2_000 }, (_, i) => span(hex(i + 1, 32), 0, minute + 1_000 + i, { tags: { 'db.statement': `SELECT ${'x'.repeat(993)}` } }));
    const batch = batchOf(spans, now);
    const cellRequests = batch.rollups.reduce((sum, cell) => sum + cell.count, 0);
    await ingestOk(edge, batch, { gzip: true });
    expect(await requestsCounted()).toBe(before + cellRequests);
    const stored = await eventually(async () => {
      const lines = (await exportAll(edge)).filter((line) => line.type === 'span' && line.name === 'db.query' && line.tags['db.statement']);
      return lines.length >= 2_000 ? lines : undefined;
    }, 20_000, '2,000 spans in the export');
    expect(new Set(stored.map((line) => line.traceId)).size).toBe(2_000);
  });

  test(`a trace sent in three batches of 1,000 spans keeps its first ${MAX_TRACE_SPANS}, and its read says so; the batches are counted whole`, async () => {
    const now = Date.now() - 15_000;
    const traceId = 'b'.repeat(32);
    const before = await requestsCounted();
    let cellRequests = 0;
    for (let part = 0; part < 3; part++) {
      const batch = batchOf(Array.from({ length: 1_000 }, (_, i) => span(traceId, part * 1_000 + i, now - 5_000 + part * 1_000 + i / 10)), now);
      cellRequests += batch.rollups.reduce((sum, cell) => sum + cell.count, 0);
      await ingestOk(edge, batch, { gzip: true });
    }
    expect(await requestsCounted()).toBe(before + cellRequests);
    const trace = await eventually(async () => {
      const read = await apiOk(edge, `/api/v1/apps/shop/traces/${traceId}`);
      return read.spans.length >= MAX_TRACE_SPANS ? read : undefined;
    }, 20_000, 'the trace at its limit');
    expect(trace.spans.map((s: Span) => s.spanId)).toEqual(Array.from({ length: MAX_TRACE_SPANS }, (_, i) => hex(i + 1, 16)));
    expect(trace.warnings).toEqual([expect.stringContaining(`limit of ${MAX_TRACE_SPANS} spans`)]);
    expect(await spansExported(traceId)).toHaveLength(MAX_TRACE_SPANS);
    const page = await fetch(new URL(`/performance/traces/${traceId}?app=shop`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.split('<li class="span ').length - 1).toBe(MAX_TRACE_SPANS);
    expect(html).toContain(`limit of ${MAX_TRACE_SPANS} spans`);
  });

  test('a trace of 12 spans near the span limit: the read returns the first ones within its bound and says how many it left out; the export holds all 12', async () => {
    const now = Date.now() - 10_000;
    const traceId = 'c'.repeat(32);
    // Each span ≈ 460,000 characters of JSON, inside LIMITS.spanLength: 12 of them pass one read's bound.
    const log = (i: number) => ({ timestamp: now, level: 'info', message: `${i}`.padEnd(LIMITS.logMessageLength, 'm'), fields: Object.fromEntries(Array.from({ length: 26 }, (_, f) => [`field ${f}`, 'v'.repeat(1_024)])) });
    const logs = Array.from({ length: 16 }, (_, i) => log(i));
    const spans = Array.from({ length: 12 }, (_, i) => span(traceId, i, now - 5_000 + i, { logs }));
    const size = JSON.stringify(spans[0]).length;
    expect(size).toBeGreaterThan(400_000);
    expect(size).toBeLessThan(LIMITS.spanLength);
    for (const half of [spans.slice(0, 6), spans.slice(6)]) await ingestOk(edge, batchOf(half, now), { gzip: true });
    const exported = await eventually(async () => {
      const lines = await spansExported(traceId);
      return lines.length === 12 ? lines : undefined;
    }, 20_000, 'the 12 spans in the export');
    expect(exported.map((line) => line.spanId)).toEqual(spans.map((s) => s.spanId));
    const trace = await apiOk(edge, `/api/v1/apps/shop/traces/${traceId}`);
    // Spans are returned by start while their JSON stays within the bound (each read back with its service and instance).
    const shown = Math.floor(TRACE_READ_LENGTH / (size + 60));
    expect(trace.spans.length).toBeGreaterThanOrEqual(shown - 1);
    expect(trace.spans.length).toBeLessThanOrEqual(shown);
    expect(trace.spans.map((s: Span) => s.spanId)).toEqual(spans.slice(0, trace.spans.length).map((s) => s.spanId));
    expect(trace.warnings).toEqual([`showing the first ${trace.spans.length} of 12 spans by start: one read returns at most ${TRACE_READ_LENGTH} characters of spans`]);
    // The trace's page says so too, above the spans it shows.
    const page = await fetch(new URL(`/performance/traces/${traceId}?app=shop`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<p class="trace-warning" role="alert">showing the first ${trace.spans.length} of 12 spans by start`);
    expect(html.split('<li class="span ').length - 1).toBe(trace.spans.length);
  });
});
