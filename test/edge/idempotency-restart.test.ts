// A batch sent twice is stored once, even when both copies race; a restart of the runtime on the
// same state folder keeps everything, including what makes a late retry a duplicate.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-'));
let edge: LocalEdge | undefined;

afterAll(async () => {
  await edge?.dispose();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('idempotent ingest and persistence', () => {
  const first = makeBatch(Date.now());
  const raced = makeBatch(Date.now() - 60_000);
  let records: any[];

  test('the same batch twice: 202 then 200 duplicate, counted once', async () => {
    edge = await startEdge({ persistDir: stateDir });
    const accepted = await ingestOk(edge, first, { gzip: true });
    expect(accepted).toMatchObject({ status: 'accepted', batchId: first.batchId, accepted: { rollups: 2, samples: 1, spans: 2, profiles: 1 } });
    const again = await ingest(edge, first);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', batchId: first.batchId, receivedAt: expect.any(Number) });
    const summary = await apiOk(edge, '/api/v1/apps/shop/summary');
    expect(summary.requests).toBe(3);
  });

  test('two copies at once: one 202, one 200', async () => {
    const answers = await Promise.all([ingest(edge!, raced), ingest(edge!, raced, { gzip: true })]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    const summary = await apiOk(edge!, '/api/v1/apps/shop/summary');
    expect(summary.requests).toBe(6);
    records = await storedRecords(edge!);
    expect(records.filter((r) => r.type === 'sample')).toHaveLength(2);
  });

  test('a restart on the same state folder keeps everything, and retries stay duplicates', async () => {
    await edge!.dispose();
    edge = await startEdge({ persistDir: stateDir });
    expect(await storedRecords(edge)).toEqual(records);
    const retry = await ingest(edge, first);
    expect(retry.status).toBe(200);
    expect((await apiOk(edge, '/api/v1/apps/shop/summary')).requests).toBe(6);
  });
});
