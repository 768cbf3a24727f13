// Property tests of the quantile sketch's codec and merge: what it encodes decodes to the same
// sketch; what it decodes (whatever the bytes) is within its bounds, cheap, and encodes again; merges
// of any size stay finite, decodable and as accurate as one sketch of everything.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { ALPHA, base64ToBytes, MAX_BUCKETS, MAX_COUNT, MAX_SUM, MAX_VALUE, QuantileSketch } from '../../src/core/sketch.ts';
import { hostileSketch } from '../fuzz/arbitrary-batch.ts';
import { corpusSketches } from '../fuzz/corpus.ts';
import { fuzzParams, fuzzTimeout } from '../fuzz/fuzz-params.ts';
import { exactQuantile } from '../support/random.ts';

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

/** Any double at all, the edges included. */
const anyDouble = fc.oneof(fc.double(), fc.constantFrom(0, -0, 5e-324, 1e-6, 1.0000001e-6, MAX_VALUE, MAX_VALUE * 1.0001, Number.MAX_VALUE, Infinity, -Infinity, NaN));
/** Values the sketch keeps apart (between its zero threshold and its ceiling). */
const measurable = fc.double({ min: 1e-5, max: 1e9, noNaN: true });

function sketchOf(values: number[]): QuantileSketch {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  return sketch;
}

function bucketsOf(sketch: QuantileSketch): number {
  return (sketch as unknown as { bins: number[] }).bins.length;
}

/** A sketch's invariants: the bounds decoding checks, so anything that holds them can be stored and read again. */
function expectWithinBounds(sketch: QuantileSketch): void {
  expect(Number.isSafeInteger(sketch.count)).toBe(true);
  expect(sketch.count).toBeLessThanOrEqual(MAX_COUNT);
  expect(bucketsOf(sketch)).toBeLessThanOrEqual(MAX_BUCKETS);
  if (sketch.count > 0) {
    expect(sketch.sum).toBeGreaterThanOrEqual(0);
    expect(sketch.sum).toBeLessThanOrEqual(MAX_SUM);
    expect(sketch.max).toBeLessThanOrEqual(MAX_VALUE);
    for (const q of QUANTILES) expect(Number.isFinite(sketch.quantile(q))).toBe(true);
  }
  const again = QuantileSketch.fromBytes(sketch.toBytes());
  expect(again.toBytes()).toEqual(sketch.toBytes());
}

describe('QuantileSketch codec', () => {
  test('whatever was added, the bytes decode to the same sketch, and encode to the same bytes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(anyDouble, fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 2 ** 40 }))), { maxLength: 60 }), (adds) => {
      const sketch = new QuantileSketch();
      for (const [value, times] of adds) sketch.add(value, times);
      const bytes = sketch.toBytes();
      const back = QuantileSketch.fromBytes(bytes);
      expect(back.toBytes()).toEqual(bytes);
      expect(back.count).toBe(sketch.count);
      for (const q of QUANTILES) expect(back.quantile(q)).toEqual(sketch.quantile(q));
      expectWithinBounds(back);
    }), fuzzParams({ runs: 400, seconds: 5 }));
  }, fuzzTimeout(5));

  test('arbitrary bytes are refused with a RangeError or decode within the bounds, quickly', () => {
    let slowest = 0;
    let slowestBytes = new Uint8Array();
    const decode = (bytes: Uint8Array): QuantileSketch | undefined => {
      try {
        return QuantileSketch.fromBytes(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        return undefined;
      }
    };
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([1, ...b]))), (bytes) => {
      const started = performance.now();
      const sketch = decode(bytes);
      const took = performance.now() - started;
      if (took > slowest) [slowest, slowestBytes] = [took, bytes];
      if (sketch) expectWithinBounds(sketch);
    }), fuzzParams({ runs: 2_000, seconds: 5 }));
    // Bounded work: even the worst input decodes (or is refused) in well under a millisecond's worth of
    // buckets. Timed again, best of five: one pause of the process (a collection, a busy machine) is
    // not the input's (a run beside other tests had seen one over 50 ms).
    const again = Math.min(...Array.from({ length: 5 }, () => {
      const started = performance.now();
      decode(slowestBytes);
      return performance.now() - started;
    }));
    expect(again).toBeLessThan(50);
  }, fuzzTimeout(5));

  test('damaged sketches (bits flipped, cut, bytes spliced in) are refused or decode within the bounds', () => {
    fc.assert(fc.property(hostileSketch, (base64) => {
      let sketch: QuantileSketch | undefined;
      try {
        sketch = QuantileSketch.fromBytes(base64ToBytes(base64));
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
      }
      if (sketch) expectWithinBounds(sketch);
    }), fuzzParams({ runs: 1_000, seconds: 5 }));
  }, fuzzTimeout(5));

  test('every sketch of the corpus of inputs that once broke the edge is refused', () => {
    const sketches = corpusSketches();
    expect(sketches.length).toBeGreaterThan(0);
    for (const { file, sketch } of sketches) {
      expect(() => QuantileSketch.fromBase64(sketch), file).toThrow(RangeError);
    }
  });
});

describe('QuantileSketch merge', () => {
  test('a merge answers every quantile exactly as one sketch of all the values, in any order, within 1 % of the truth', () => {
    fc.assert(fc.property(fc.array(measurable, { minLength: 1, maxLength: 200 }), fc.array(measurable, { maxLength: 200 }), (a, b) => {
      const ab = sketchOf(a).merge(sketchOf(b));
      const ba = sketchOf(b).merge(sketchOf(a));
      const whole = sketchOf([...a, ...b]);
      const sorted = [...a, ...b].sort((x, y) => x - y);
      expect(ab.count).toBe(sorted.length);
      for (const q of QUANTILES) {
        expect(ab.quantile(q)).toBe(whole.quantile(q));
        expect(ba.quantile(q)).toBe(whole.quantile(q));
        const exact = exactQuantile(sorted, q);
        expect(Math.abs(ab.quantile(q) - exact)).toBeLessThanOrEqual(exact * ALPHA * (1 + 1e-9));
      }
    }), fuzzParams({ runs: 300, seconds: 5 }));
  }, fuzzTimeout(5));

  test('merging huge counts saturates at 2^53 − 1: counts stay exact integers, sums finite, bytes decodable', () => {
    fc.assert(fc.property(fc.array(fc.tuple(anyDouble, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 70 }), (adds, doublings) => {
      let sketch = new QuantileSketch();
      for (const [value, times] of adds) sketch.add(value, times);
      for (let i = 0; i < doublings; i++) sketch = QuantileSketch.fromBytes(sketch.clone().merge(sketch).toBytes());
      expectWithinBounds(sketch);
    }), fuzzParams({ runs: 200, seconds: 5 }));
  }, fuzzTimeout(5));
});
