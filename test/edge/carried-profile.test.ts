// A batch marked `carriedProfiles`: the edge names the addition in its answers, and stores each
// sample sent without memory and CPU figures with those of the latest sample before it that has
// them, so the samples API and the export return every record whole. An unmarked batch is stored
// as sent; a malformed mark is refused. Real Worker, real SQLite Durable Objects.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { Batch, DetailSample } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, exportAll, ingest, ingestOk, startEdge } from './support/edge.ts';

const P1 = { memoryUsage: { rss: 50_000_000, heapUsed: 10_000_000, heapTotal: 20_000_000 }, cpuUsage: 3.5 };
const P2 = { memoryUsage: { rss: 60_000_000, heapUsed: 12_000_000, heapTotal: 21_000_000 }, cpuUsage: 7.25 };
/** Per sample (by its path's number): the figures sent, and those stored from a marked batch. None before the first profile. */
const SENT = [undefined, P1, undefined, undefined, P2, undefined, { cpuUsage: 9 }, undefined];
const STORED = [undefined, P1, P1, P1, P2, P2, { cpuUsage: 9 }, { cpuUsage: 9 }];

let edge: LocalEdge;
let answer: any;

/** A batch of instance `instance` with the samples SENT. */
function batchOf(instance: string, mark: Record<string, unknown>): Batch {
  const batch = makeBatch();
  const [template] = batch.samples;
  const { memoryUsage: _m, cpuUsage: _c, traceId: _t, spanId: _s, ...bare } = template!;
  batch.identity = { ...batch.identity, instance };
  batch.samples = SENT.map((figures, i) => ({ ...bare, timestamp: template!.timestamp + i, path: `/${instance}/${i}`, ...figures }));
  return { ...batch, ...mark };
}

beforeAll(async () => {
  edge = await startEdge();
  answer = await ingestOk(edge, batchOf('marked', { carriedProfiles: true }), { gzip: true });
  await ingestOk(edge, batchOf('unmarked', {}), { gzip: true });
});

afterAll(async () => {
  await edge?.dispose();
});

const figuresOf = (record: Partial<DetailSample>) => ({ memoryUsage: record.memoryUsage, cpuUsage: record.cpuUsage });
/** What a stored record should hold: STORED for the marked batch, SENT for the other. */
function expected(path: string) {
  const [, instance, i] = path.split('/');
  return figuresOf((instance === 'marked' ? STORED : SENT)[Number(i)] ?? {});
}

describe('carried memory and CPU figures', () => {
  test('the ingest answer names the addition', () => {
    expect(answer.accepts).toContain('carriedProfiles');
  });

  test('the samples API returns each record of a marked batch with the figures carried to it, and an unmarked one as sent', async () => {
    const { items } = await apiOk(edge, `/api/v1/apps/shop/samples?from=0&to=${Date.now()}&limit=100`);
    expect(items).toHaveLength(2 * SENT.length);
    for (const item of items) expect(figuresOf(item), item.path).toEqual(expected(item.path));
  });

  test('the export holds them too, and no batch marked', async () => {
    const lines = await exportAll(edge);
    const samples = lines.filter((line) => line.type === 'sample');
    expect(samples).toHaveLength(2 * SENT.length);
    for (const sample of samples) expect(figuresOf(sample), sample.path).toEqual(expected(sample.path));
    expect(lines.some((line) => 'carriedProfiles' in line)).toBe(false);
  });

  test('a mark other than true is refused, naming it, and nothing is stored', async () => {
    for (const mark of [false, 'yes', 1]) {
      const response = await ingest(edge, batchOf('bad', { carriedProfiles: mark }));
      expect(response.status).toBe(422);
      expect(await response.text()).toContain('carriedProfiles');
    }
    const { items } = await apiOk(edge, `/api/v1/apps/shop/samples?from=0&to=${Date.now()}&limit=100`);
    expect(items.filter((item: any) => item.path.startsWith('/bad/'))).toEqual([]);
  });
});
