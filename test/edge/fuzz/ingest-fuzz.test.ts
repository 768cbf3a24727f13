// Fuzzes ingest → store → query against the real Worker in workerd: batches a client could build
// (values at the edges of the wire format) and batches with one field broken. Each is either
// refused with a 4xx naming the field, leaving the store as it was, or stored, after which every
// query answers 200 with numbers where numbers belong, within a time and a memory budget per batch.
// Batches pile up in one app, so merges of many strange cells are read too.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { arbitraryBatch, mutatedBatch, namesMutatedField, type Mutation } from '../../fuzz/arbitrary-batch.ts';
import { fuzzParams, fuzzTimeout } from '../../fuzz/fuzz-params.ts';
import { apiOk, ingest, startEdge } from '../support/edge.ts';
import { DASHBOARD_BINDINGS, readEverything } from './readable.ts';
import { WorkerdMemory, workerdChildren } from './workerd-memory.ts';

/** Per batch: the ingest answer and each read within this. */
const BUDGET_MS = 4_000;
/** Per batch: workerd's resident set may grow by at most this while it stores and every query reads. */
const MEMORY_BUDGET = 256 * 1024 * 1024;
const SECONDS = 25;

let edge: LocalEdge;
let memory: WorkerdMemory | null;
const NOW = Date.now();
const window = () => ({ from: NOW - 31 * 60_000, to: Date.now() + 120_000 });

beforeAll(async () => {
  const before = workerdChildren();
  edge = await startEdge({ bindings: DASHBOARD_BINDINGS });
  memory = WorkerdMemory.started(before);
});

afterAll(async () => {
  await edge?.dispose();
});

const input: fc.Arbitrary<Mutation | { batch: unknown; path: null; what: string }> = fc.oneof(
  { weight: 2, arbitrary: arbitraryBatch(NOW).map((batch) => ({ batch, path: null, what: 'as built' })) },
  { weight: 3, arbitrary: mutatedBatch(NOW) },
);

describe('ingest → store → query under fuzzed batches', () => {
  test('every batch is refused naming its field or stored and readable by every query, in budget', async () => {
    const seen = { stored: 0, refused: 0, duplicate: 0 };
    await fc.assert(fc.asyncProperty(input, fc.boolean(), async ({ batch, path, what }, gzip) => {
      const rowsBefore = (await apiOk(edge, '/api/v1/apps/shop/status')).rows;
      const rssBefore = memory?.rss() ?? 0;
      memory?.resetPeak();

      const started = performance.now();
      const response = await ingest(edge, batch, { gzip });
      const body = await response.json() as any;
      const took = performance.now() - started;
      if (took > BUDGET_MS) throw new Error(`ingest took ${Math.round(took)} ms, over ${BUDGET_MS} ms`);
      const label = path === null ? 'a batch as a client builds it' : `${path} ${what}`;

      if (response.status === 202) {
        seen.stored++;
        await readEverything(edge, { ...window(), budgetMs: BUDGET_MS });
      } else if (response.status === 200) {
        seen.duplicate++;
        expect(body.status).toBe('duplicate');
      } else {
        seen.refused++;
        if (path === null) throw new Error(`${label} was refused: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
        if (response.status === 422) {
          const problems: Array<{ path: string }> = body.error.problems;
          if (!problems.some((p) => namesMutatedField(p.path, path))) throw new Error(`${label}: 422 names other fields: ${JSON.stringify(problems.slice(0, 3))}`);
        } else if (response.status === 403) {
          // The batch names another app than its key's.
          expect(path).toMatch(/^identity/);
          expect(body.error.message).toContain('identity.app');
        } else {
          throw new Error(`${label}: answered ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
        }
        expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows).toEqual(rowsBefore);
      }
      if (memory) {
        const grew = memory.peak() - rssBefore;
        if (grew > MEMORY_BUDGET) throw new Error(`${label}: workerd grew by ${Math.round(grew / 1048576)} MiB, over ${MEMORY_BUDGET / 1048576} MiB`);
      }
    }), fuzzParams({ runs: 60, seconds: SECONDS }, { endOnFailure: true }));
    console.log(`ingest fuzz: ${seen.stored} stored, ${seen.refused} refused, ${seen.duplicate} duplicates; workerd resident ${memory ? Math.round(memory.rss() / 1048576) : "?"} MiB`);
    expect(seen.stored).toBeGreaterThan(0);

    // What piled up survives maintenance (roll-up into hours) and reads the same way after it.
    const report = await (await edge.store('shop')).maintainNow();
    expect(report.unreadable).toBe(0);
    await readEverything(edge, { ...window(), budgetMs: BUDGET_MS });
  }, fuzzTimeout(SECONDS) + 30_000);
});
