// The sketch's bucket index without a logarithm must be the formula's answer for every double:
// checked at each of the formula's own bucket boundaries over the whole indexable range (found here
// by bisection over the doubles, not taken from the tables) and a few doubles either side, at the
// edges of the slices the tables are cut in, and on random values of every magnitude.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { bucketIndex, exactIndex, GAMMA, SLICE_BITS, TABLES_BELOW, TABLES_FROM } from '../../src/core/sketch-index.ts';
import { MAX_VALUE, MIN_INDEXABLE } from '../../src/core/sketch.ts';

const view = new DataView(new ArrayBuffer(8));
const bitsOf = (value: number): bigint => (view.setFloat64(0, value), view.getBigUint64(0));
const doubleOf = (bits: bigint): number => (view.setBigUint64(0, bits), view.getFloat64(0));
/** The double `steps` units in the last place from a positive `value`. */
const ulpsAway = (value: number, steps: number): number => doubleOf(bitsOf(value) + BigInt(steps));

/** The largest double the formula puts in bucket k: bisection over the doubles around γᵏ (the formula is monotone). */
function formulaBoundary(k: number): number {
  let low = bitsOf(GAMMA ** k * (1 - 1e-9)); // in bucket k: a bucket is 2 % wide
  let high = bitsOf(GAMMA ** k * (1 + 1e-9)); // in bucket k + 1
  if (exactIndex(doubleOf(low)) !== k || exactIndex(doubleOf(high)) !== k + 1) throw new Error(`no boundary of bucket ${k} near γ^${k}`);
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (exactIndex(doubleOf(middle)) <= k) low = middle;
    else high = middle;
  }
  return doubleOf(low);
}

function expectSameIndex(value: number): void {
  const fast = bucketIndex(value);
  const exact = exactIndex(value);
  if (fast !== exact) throw new Error(`bucketIndex(${value}) = ${fast}, the formula gives ${exact}`);
}

describe('bucketIndex', () => {
  test("agrees with the formula on either side of each of its bucket boundaries from 1e-6 to 1e12", () => {
    for (let k = exactIndex(MIN_INDEXABLE) - 1; k <= exactIndex(MAX_VALUE); k++) {
      const last = formulaBoundary(k);
      expect(bucketIndex(last)).toBe(k);
      expect(bucketIndex(ulpsAway(last, 1))).toBe(k + 1);
      for (let steps = -3; steps <= 4; steps++) expectSameIndex(ulpsAway(last, steps));
    }
  });

  test('agrees with the formula where the tables cut each binade into slices', () => {
    const slices = 2 ** SLICE_BITS;
    for (let base = TABLES_FROM; base < TABLES_BELOW; base *= 2) {
      for (let m = 0; m < slices; m++) {
        const start = base * (1 + m / slices);
        for (const steps of [-1, 0, 1]) expectSameIndex(ulpsAway(start, steps));
      }
    }
  });

  test('agrees with the formula on random values of every magnitude, and outside the tables', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e15, noNaN: true }), (value) => {
        expectSameIndex(value);
      }),
      { numRuns: 200_000 },
    );
    for (const edge of [TABLES_FROM, ulpsAway(TABLES_FROM, -1), TABLES_BELOW, ulpsAway(TABLES_BELOW, -1), MIN_INDEXABLE, MAX_VALUE, 5e-324, Number.MAX_VALUE]) {
      expectSameIndex(edge);
    }
    expect(bucketIndex(Infinity)).toBe(Infinity);
    expect(bucketIndex(NaN)).toBeNaN();
  });
});
