// Small gzip bodies that inflate to a great deal, at the real Worker in workerd: a batch whose one span
// holds 10,000,000 log items or tags (20 KB gzipped, 19 MiB inflated) once ran workerd out of heap
// (validated item by item before the array's length), then still cost 0.3–1.2 s and +100–150 MiB to
// parse (the values are now counted on the bytes first); a gzip bomb was inflated whole before the
// 20 MiB cap was checked (1 GiB: 9 s, 1.3 GB). Each is now refused quickly, within a memory budget,
// nothing stored changes, and the edge serves on.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { loadCorpus, type GzipBombCase } from '../../fuzz/corpus.ts';
import { makeBatch } from '../../support/batch.ts';
import { WorkerdMemory, workerdChildren } from '../fuzz/workerd-memory.ts';
import { ingest, ingestOk, startEdge, storedRecords } from '../support/edge.ts';
import { gzipOfRepeated, withNumbers } from './support.ts';

const MIB = 1024 * 1024;
/** Time for one refusal: generous for a loaded CI machine; before the fixes they took 4 s to a crash. */
const BUDGET_MS = 5_000;
/** Growth of workerd's resident set for one refusal (measured 24–56 MiB; the 10 M-item batch parsed to ~100–150 MB before it was counted first, and 1.2 GB and more before the validator's bounds). */
const GROWTH_BYTES = 128 * MIB;
const BOMBS = loadCorpus().filter((c): c is GzipBombCase & { file: string } => c.target === 'gzip-bomb');

let edge: LocalEdge;
let memory: WorkerdMemory | null;
let before: unknown[];

beforeAll(async () => {
  const running = workerdChildren();
  edge = await startEdge();
  memory = WorkerdMemory.started(running);
  await ingestOk(edge, makeBatch(), { gzip: true });
  before = await storedRecords(edge);
});

afterAll(async () => {
  await edge?.dispose();
});

/** Posts `body` (gzip) and answers its status, JSON, time and the growth of workerd's peak resident set. */
async function post(body: Uint8Array): Promise<{ status: number; answer: any; ms: number; growth: number }> {
  memory?.resetPeak();
  const rss = memory?.rss() ?? 0;
  const started = performance.now();
  const response = await ingest(edge, body, { headers: { 'content-encoding': 'gzip' } });
  const answer = await response.json();
  return { status: response.status, answer, ms: performance.now() - started, growth: (memory?.peak() ?? 0) - rss };
}

/** A valid batch but for one span field, which holds `count` numbers: gzipped as sent. */
function spanFieldOfNumbers(field: 'logs' | 'tags', count: number): Uint8Array {
  const batch: any = makeBatch(Date.now());
  batch.spans[0][field] = 'MARK';
  return Bun.gzipSync(new TextEncoder().encode(withNumbers(batch, count)), { level: 9 });
}

async function expectServingAndUnchanged(): Promise<void> {
  expect(await storedRecords(edge)).toEqual(before);
  const response = await ingest(edge, makeBatch(), { gzip: true, headers: { 'x-test': 'after' } });
  expect(response.status).toBe(202);
  before = await storedRecords(edge);
}

describe('a body holding more values than any batch is refused before it is parsed', () => {
  for (const field of ['logs', 'tags'] as const) {
    test(`a span's ${field} of 4,000,000 numbers (8 KB gzipped): 413 naming where the count passed the cap, quickly, within memory`, async () => {
      const body = spanFieldOfNumbers(field, 4_000_000);
      expect(body.length).toBeLessThan(64 * 1024);
      const { status, answer, ms, growth } = await post(body);
      console.log(`spans[0].${field} of 4,000,000: ${status} in ${Math.round(ms)} ms, workerd peak +${Math.round(growth / MIB)} MiB`);
      expect(status).toBe(413);
      expect(answer.error.code).toBe('too_many_values');
      expect(answer.error.message).toMatch(new RegExp(`more than 2000000 values .* at spans\\[0\\]\\.${field}\\[\\d+\\]`));
      if (memory !== null) expect(growth).toBeLessThan(GROWTH_BYTES);
      expect(ms).toBeLessThan(BUDGET_MS);
      await expectServingAndUnchanged();
    }, 60_000);
  }

  test('2,500,000 empty objects (7.5 MB inflated, the costliest JSON per byte): 413 naming the cap on arrays and objects', async () => {
    const batch: any = makeBatch(Date.now());
    batch.spans[0].logs = 'MARK';
    const text = JSON.stringify(batch).replace('"MARK"', `[${'{},'.repeat(2_499_999)}{}]`);
    const { status, answer, ms, growth } = await post(Bun.gzipSync(new TextEncoder().encode(text), { level: 9 }));
    console.log(`spans[0].logs of 2,500,000 objects: ${status} in ${Math.round(ms)} ms, workerd peak +${Math.round(growth / MIB)} MiB`);
    expect(status).toBe(413);
    expect(answer.error.message).toMatch(/more than 500000 arrays and objects, past the cap at spans\[0\]\.logs\[\d+\]/);
    if (memory !== null) expect(growth).toBeLessThan(GROWTH_BYTES);
    await expectServingAndUnchanged();
  }, 60_000);

  test('arrays nested 1,000,000 deep: 422 naming where the nesting passed the wire format\'s deepest', async () => {
    const batch: any = makeBatch(Date.now());
    batch.spans[0].tags = { deep: 'MARK' };
    const text = JSON.stringify(batch).replace('"MARK"', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    const { status, answer } = await post(Bun.gzipSync(new TextEncoder().encode(text), { level: 9 }));
    expect(status).toBe(422);
    expect(answer.error.problems).toEqual([{ path: 'spans[0].tags.deep[0][0]', message: 'expected arrays and objects nested at most 6 deep (the wire format\'s deepest), got deeper' }]);
    await expectServingAndUnchanged();
  }, 60_000);

  test('under the caps, an array past its place\'s limit is still refused by the validator, naming it', async () => {
    const body = spanFieldOfNumbers('logs', 1_000_000);
    const { status, answer } = await post(body);
    expect(status).toBe(422);
    expect(answer.error.problems).toEqual([{ path: 'spans[0].logs', message: 'expected array of at most 64 items, got 1000000' }]);
  }, 60_000);
});

describe('a gzip bomb is refused once its output passes the cap, not after inflating it whole', () => {
  test('the corpus holds at least one bomb', () => expect(BOMBS.length).toBeGreaterThan(0));

  for (const bomb of BOMBS) {
    test(`${bomb.file}: ${bomb.broke}`, async () => {
      const body = await gzipOfRepeated(bomb.byte, bomb.inflatedBytes);
      const { status, answer, ms, growth } = await post(body);
      console.log(`${bomb.file} (${body.length} bytes gzipped): ${status} in ${Math.round(ms)} ms, workerd peak +${Math.round(growth / MIB)} MiB`);
      expect(status).toBe(bomb.expect.status);
      expect(answer.error.code).toBe(bomb.expect.code);
      expect(answer.error.message).toMatch(/inflates past the cap of 8 MiB/);
      expect(ms).toBeLessThan(bomb.expect.withinMs);
      if (memory !== null) expect(growth).toBeLessThan(bomb.expect.growthBytes);
      await expectServingAndUnchanged();
    }, 60_000);
  }
});
