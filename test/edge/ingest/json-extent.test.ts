// The count the edge makes of a body's JSON before parsing it (src/edge/http/json-extent.ts):
// checked against counts made independently from the parsed value, for any JSON (strings full of
// quotes, backslashes, brackets and non-ASCII, any spacing) and for batches a client could send;
// each limit is exact (at the count passes, one under refuses) and names where it was passed.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { BATCH_DEPTH } from '../../../src/core/validate-batch.ts';
import { jsonExtentProblem, type JsonExtentLimits } from '../../../src/edge/http/json-extent.ts';
import { JSON_EXTENT } from '../../../src/edge/ingest/parse-batch.ts';
import { arbitraryBatch } from '../../fuzz/arbitrary-batch.ts';
import { fuzzParams } from '../../fuzz/fuzz-params.ts';
import { makeBatch } from '../../support/batch.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const encode = (value: unknown, space?: number) => new TextEncoder().encode(JSON.stringify(value, null, space));

/** Items and members, arrays and objects, and the deepest nesting, counted on the parsed value. */
function extentOf(value: unknown, level = 0): { values: number; containers: number; depth: number } {
  if (value === null || typeof value !== 'object') return { values: 0, containers: 0, depth: level };
  const children = Array.isArray(value) ? value : Object.values(value);
  const out = { values: children.length, containers: 1, depth: level + 1 };
  for (const child of children) {
    const inner = extentOf(child, level + 1);
    out.values += inner.values;
    out.containers += inner.containers;
    out.depth = Math.max(out.depth, inner.depth);
  }
  return out;
}

/** The scan at limits set to `extent` exactly, and at one under each. */
function expectExact(bytes: Uint8Array, extent: { values: number; containers: number; depth: number }): void {
  const exact: JsonExtentLimits = { maxValues: extent.values, maxContainers: extent.containers, maxDepth: extent.depth };
  expect(jsonExtentProblem(bytes, exact)).toBeUndefined();
  if (extent.values > 0) expect(jsonExtentProblem(bytes, { ...exact, maxValues: extent.values - 1 })?.limit).toBe('maxValues');
  if (extent.containers > 0) expect(jsonExtentProblem(bytes, { ...exact, maxContainers: extent.containers - 1 })?.limit).toBe('maxContainers');
  if (extent.depth > 0) expect(jsonExtentProblem(bytes, { ...exact, maxDepth: extent.depth - 1, maxContainers: extent.containers })?.limit).toBe('maxDepth');
}

describe('the counts agree with the parsed value', () => {
  test('any JSON, compact or spaced, with any strings', () => {
    const anyText = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', ':', ' ', 'a', 'é', '😀', '\n', '\u0000') });
    const anyJson = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, anyText, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
        fc.array(tie('value'), { maxLength: 6 }), fc.dictionary(anyText, tie('value'), { maxKeys: 6 })),
    })).value;
    fc.assert(fc.property(anyJson, fc.constantFrom(undefined, 2), (value, space) => {
      expectExact(encode(value, space), extentOf(value));
    }), fuzzParams({ runs: 400, seconds: 10 }));
  });

  test('batches a client could send pass the edge\'s caps, and are counted exactly', () => {
    fc.assert(fc.property(arbitraryBatch(NOW), (batch) => {
      const bytes = encode(batch);
      const extent = extentOf(batch);
      expect(extent.depth).toBeLessThanOrEqual(BATCH_DEPTH);
      expect(jsonExtentProblem(bytes, JSON_EXTENT)).toBeUndefined();
      expectExact(bytes, extent);
    }), fuzzParams({ runs: 100, seconds: 10 }));
  });

  test('the schema\'s deepest place (a span log\'s fields) is within the depth cap, one level more is not', () => {
    const batch: any = makeBatch(NOW);
    batch.spans[0].logs = [{ timestamp: NOW, level: 'info', message: 'm', fields: { a: 1 } }];
    expect(extentOf(batch).depth).toBe(BATCH_DEPTH);
    expect(jsonExtentProblem(encode(batch), JSON_EXTENT)).toBeUndefined();
    batch.spans[0].logs[0].fields.a = [];
    expect(jsonExtentProblem(encode(batch), JSON_EXTENT)).toEqual({ limit: 'maxDepth', path: 'spans[0].logs[0].fields.a' });
  });
});

describe('where a limit was passed is named as the validator names places', () => {
  const batch: any = makeBatch(NOW);
  batch.spans[0].tags = { 'with "quote"': 1 };

  test('the item the values count passed the cap at', () => {
    // Three values before the items (the member spans, its span, the member logs): the cap of 503 passes at item 500.
    const text = `{"spans":[{"logs":[${'1,'.repeat(999)}1]}]}`;
    const problem = jsonExtentProblem(new TextEncoder().encode(text), { maxValues: 503, maxContainers: 1_000, maxDepth: 8 });
    expect(problem).toEqual({ limit: 'maxValues', path: 'spans[0].logs[500]' });
  });

  test('a key with escapes is shown as written', () => {
    const deep = structuredClone(batch);
    deep.spans[0].tags = { 'with "quote"': [[[1]]] };
    deep.spans[0].logs = [];
    expect(jsonExtentProblem(encode(deep), JSON_EXTENT)).toEqual({ limit: 'maxDepth', path: 'spans[0].tags.with \\"quote\\"[0][0]' });
  });

  test('a body nested 100,000 deep is refused at the cap, not walked', () => {
    const bytes = new TextEncoder().encode('['.repeat(100_000) + ']'.repeat(100_000));
    expect(jsonExtentProblem(bytes, JSON_EXTENT)).toEqual({ limit: 'maxDepth', path: '[0][0][0][0][0][0]' });
  });
});
