// `samples.carriedProfile`: the edge names it in its answers, and stores a sample sent without
// memory and CPU figures with those of the sample before it in its batch, so the samples API and
// the export return every record whole. Real Worker, real SQLite Durable Objects.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { DetailSample } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, exportAll, ingestOk, startEdge } from './support/edge.ts';

const P1 = { memoryUsage: { rss: 50_000_000, heapUsed: 10_000_000, heapTotal: 20_000_000 }, cpuUsage: 3.5 };
const P2 = { memoryUsage: { rss: 60_000_000, heapUsed: 12_000_000, heapTotal: 21_000_000 }, cpuUsage: 7.25 };
/** Per sample (by its path's number): the figures sent, and those stored. None before the first profile. */
const SENT = [undefined, P1, undefined, undefined, P2, undefined, { cpuUsage: 9 }, undefined];
const STORED = [undefined, P1, P1, P1, P2, P2, { cpuUsage: 9 }, { cpuUsage: 9 }];

let edge: LocalEdge;
let from: number;
let answer: any;

beforeAll(async () => {
  edge = await startEdge();
  const batch = makeBatch();
  from = batch.window.start;
  const [template] = batch.samples;
  const { memoryUsage: _m, cpuUsage: _c, traceId: _t, spanId: _s, ...bare } = template!;
  batch.samples = SENT.map((figures, i) => ({ ...bare, timestamp: template!.timestamp + i, path: `/users/${i}`, ...figures }));
  answer = await ingestOk(edge, batch, { gzip: true });
});

afterAll(async () => {
  await edge?.dispose();
});

const figuresOf = (record: Partial<DetailSample>) => ({ memoryUsage: record.memoryUsage, cpuUsage: record.cpuUsage });
const expected = (path: string) => figuresOf(STORED[Number(path.slice('/users/'.length))] ?? {});

describe('carried memory and CPU figures', () => {
  test('the ingest answer names the addition', () => {
    expect(answer.accepts).toContain('samples.carriedProfile');
  });

  test('the samples API returns each record with the figures carried to it', async () => {
    const { items } = await apiOk(edge, `/api/v1/apps/shop/samples?from=${from}&to=${Date.now()}&limit=100`);
    expect(items).toHaveLength(SENT.length);
    for (const item of items) expect(figuresOf(item)).toEqual(expected(item.path));
  });

  test('the export holds them too', async () => {
    const samples = (await exportAll(edge)).filter((line) => line.type === 'sample');
    expect(samples).toHaveLength(SENT.length);
    for (const sample of samples) expect(figuresOf(sample)).toEqual(expected(sample.path));
  });
});
