// The validator's work is bounded by the wire format's limits, not by what arrives: an array or
// object longer than its place allows is refused, naming it, before any item is validated, and
// problems stop at maxProblems however many items are bad. (10,000,000 items in one span's logs,
// 20 KB gzipped, once ran workerd out of heap with a problem object for each.)
import { describe, expect, test } from 'bun:test';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { makeBatch } from '../support/batch.ts';

const NOW = Date.now();
/** Each refusal here takes well under this; before the bounds, the first took seconds and gigabytes. */
const FAST_MS = 250;

function batchWith(change: (batch: any) => void): any {
  const batch: any = makeBatch(NOW - 10_000);
  change(batch);
  return batch;
}

function refuse(input: unknown, maxProblems?: number): { problems: Array<{ path: string; message: string }>; ms: number } {
  const started = performance.now();
  const result = validateBatch(input, { now: NOW, maxProblems });
  const ms = performance.now() - started;
  if (result.ok) throw new Error('accepted');
  return { problems: result.problems, ms };
}

const ones = (count: number) => new Array(count).fill(1);
function manyEntries(count: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < count; i++) out[`k${i}`] = 1;
  return out;
}

describe('arrays and objects past their place\'s limit, anywhere in the batch', () => {
  const cases: Array<[string, (batch: any) => void, string, string]> = [
    ['a span\'s logs of 2,000,000 numbers', (b) => (b.spans[0].logs = ones(2_000_000)), 'spans[0].logs', 'expected array of at most 64 items, got 2000000'],
    ['a span\'s logs of 65 valid logs', (b) => (b.spans[0].logs = Array.from({ length: 65 }, () => ({ timestamp: NOW, level: 'info', message: 'm' }))), 'spans[0].logs', 'expected array of at most 64 items, got 65'],
    ['a span\'s tags as an array of 2,000,000 numbers', (b) => (b.spans[0].tags = ones(2_000_000)), 'spans[0].tags', 'expected object of at most 64 entries, got an array of 2000000 items'],
    ['a span\'s tags as an array of 3', (b) => (b.spans[0].tags = [1, 2, 3]), 'spans[0].tags', 'expected object of at most 64 entries, got an array of 3 items'],
    ['a span\'s tags of 200,000 entries', (b) => (b.spans[0].tags = manyEntries(200_000)), 'spans[0].tags', 'expected object of at most 64 entries, got 200000'],
    ['a log\'s fields of 100,000 entries', (b) => (b.spans[0].logs = [{ timestamp: NOW, level: 'info', message: 'm', fields: manyEntries(100_000) }]), 'spans[0].logs[0].fields', 'expected object of at most 32 entries, got 100000'],
    ['a sample\'s memoryUsage as an array of 2,000,000', (b) => (b.samples[0].memoryUsage = ones(2_000_000)), 'samples[0].memoryUsage', 'expected object with known fields only, got an array of 2000000 items'],
    ['identity as an array of 2,000,000', (b) => (b.identity = ones(2_000_000)), 'identity', 'expected object with known fields only, got an array of 2000000 items'],
    ['identity.sampling as an array', (b) => (b.identity.sampling = ones(10)), 'identity.sampling', 'expected object with known fields only, got an array of 10 items'],
    ['the spans themselves, 10,001', (b) => (b.spans = new Array(10_001).fill(b.spans[0])), 'spans', 'expected array of at most 10000 items, got 10001'],
    ['a rollup cell as an array of 2,000,000', (b) => (b.rollups[0] = ones(2_000_000)), 'rollups[0]', 'expected object with known fields only, got an array of 2000000 items'],
  ];
  for (const [name, change, path, message] of cases) {
    test(`${name}: refused naming ${path}, at once`, () => {
      const { problems, ms } = refuse(batchWith(change));
      expect(problems).toEqual([{ path, message }]);
      expect(ms).toBeLessThan(FAST_MS);
    });
  }

  test('the same batches within their limits are accepted: the bounds are the schema\'s own', () => {
    const full = batchWith((b) => {
      b.spans[0].tags = manyEntries(64);
      b.spans[0].logs = Array.from({ length: 64 }, () => ({ timestamp: NOW - 10_000, level: 'info', message: 'm', fields: manyEntries(32) }));
    });
    const result = validateBatch(full, { now: NOW });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  test('a huge value where a single value belongs is refused by its type, not walked', () => {
    const { problems, ms } = refuse(batchWith((b) => (b.spans[0].name = ones(2_000_000))));
    expect(problems.map((p) => p.path)).toEqual(['spans[0].name']);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe('problems stop at maxProblems, and so does the work', () => {
  test('10,000 spans of 64 bad tags each (640,000 bad values): 20 problems, quickly', () => {
    const bad: Record<string, unknown> = {};
    for (let i = 0; i < 64; i++) bad[`t${i}`] = { nested: true };
    const batch = batchWith((b) => (b.spans = Array.from({ length: 10_000 }, () => ({ ...b.spans[0], tags: bad }))));
    const { problems, ms } = refuse(batch, 20);
    expect(problems.length).toBe(20);
    expect(problems[0]!.path).toBe('spans[0].tags.t0');
    expect(ms).toBeLessThan(FAST_MS);
  });

  test('5,000 bad cells and 5,000 bad samples: maxProblems problems, the first ones in order', () => {
    const batch = batchWith((b) => {
      b.rollups = new Array(5_000).fill({ statusClass: 'x' });
      b.samples = new Array(5_000).fill({ statusCode: 'x' });
    });
    const { problems, ms } = refuse(batch, 7);
    expect(problems.length).toBe(7);
    expect(problems.every((p) => p.path.startsWith('rollups[0].'))).toBe(true);
    expect(ms).toBeLessThan(FAST_MS);
  });

  test('problems of the batch\'s own fields come with those of its items', () => {
    const { problems } = refuse(batchWith((b) => {
      b.version = 2;
      b.samples[0].statusCode = 42;
    }));
    expect(problems.map((p) => p.path)).toEqual(['version', 'samples[0].statusCode']);
  });
});
