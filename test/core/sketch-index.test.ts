// The sketch's bucket index without a logarithm must be the formula's answer for every double:
// checked at every bucket boundary of the indexable range and a few doubles either side of it, at
// the edges of the slices the tables are cut in, and on random values of every magnitude.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { bucketIndex, exactIndex, GAMMA } from '../../src/core/sketch-index.ts';
import { MAX_VALUE, MIN_INDEXABLE } from '../../src/core/sketch.ts';

/** The double `steps` units in the last place from a positive `value` (the test's own, through BigInt). */
function ulpsAway(value: number, steps: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(steps));
  return view.getFloat64(0);
}

function expectSameIndex(value: number): void {
  const fast = bucketIndex(value);
  const exact = exactIndex(value);
  if (fast !== exact) throw new Error(`bucketIndex(${value}) = ${fast}, the formula gives ${exact}`);
}

describe('bucketIndex', () => {
  test('agrees with the formula at every bucket boundary from 1e-6 to 1e12, and 3 ulps either side', () => {
    let checked = 0;
    for (let k = exactIndex(MIN_INDEXABLE) - 1; k <= exactIndex(MAX_VALUE) + 1; k++) {
      const boundary = GAMMA ** k;
      for (let steps = -3; steps <= 3; steps++) {
        expectSameIndex(ulpsAway(boundary, steps));
        checked++;
      }
    }
    expect(checked).toBe(7 * (exactIndex(MAX_VALUE) - exactIndex(MIN_INDEXABLE) + 3));
  });

  test('agrees with the formula where the tables cut each binade into 128 slices', () => {
    for (let exponent = -20; exponent < 40; exponent++) {
      for (let m = 0; m < 128; m++) {
        const start = 2 ** exponent * (1 + m / 128);
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
    for (const edge of [2 ** -20, ulpsAway(2 ** -20, -1), 2 ** 40, ulpsAway(2 ** 40, -1), 1e-6, 1e12, 5e-324, Number.MAX_VALUE]) {
      expectSameIndex(edge);
    }
    expect(bucketIndex(Infinity)).toBe(Infinity);
    expect(bucketIndex(NaN)).toBeNaN();
  });
});
