import { describe, expect, test } from 'bun:test';
import { ALPHA, MAX_BUCKETS, MAX_INDEX, MAX_VALUE, MIN_INDEX, MIN_INDEXABLE, QuantileSketch } from '../../src/core/sketch.ts';
import { exactQuantile, normal, seededRandom } from '../support/random.ts';

const N = 1_000_000;
const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];

function values(kind: 'uniform' | 'lognormal' | 'bimodal'): Float64Array {
  const random = seededRandom(kind.length * 7919);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    if (kind === 'uniform') out[i] = random() * 1000;
    else if (kind === 'lognormal') out[i] = Math.exp(normal(random, 3, 1.2));
    else out[i] = Math.max(0.01, random() < 0.7 ? normal(random, 20, 3) : normal(random, 400, 60));
  }
  return out;
}

describe('QuantileSketch accuracy on 1,000,000 values', () => {
  for (const kind of ['uniform', 'lognormal', 'bimodal'] as const) {
    test(kind, () => {
      const data = values(kind);
      const sketch = new QuantileSketch();
      for (const x of data) sketch.add(x);
      const sorted = data.slice().sort();
      for (const q of QUANTILES) {
        const exact = exactQuantile(sorted, q);
        const estimate = sketch.quantile(q);
        expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(ALPHA);
      }
      expect(sketch.count).toBe(N);
      expect(sketch.min).toBe(sorted[0]!);
      expect(sketch.max).toBe(sorted[N - 1]!);
      const exactSum = data.reduce((a, b) => a + b, 0);
      expect(sketch.sum).toBeCloseTo(exactSum, 0);
    });
  }
});

describe('QuantileSketch merge', () => {
  test('100 sketches of parts give the quantiles of one sketch of the whole', () => {
    const data = values('lognormal');
    const whole = new QuantileSketch();
    const parts = Array.from({ length: 100 }, () => new QuantileSketch());
    data.forEach((x, i) => {
      whole.add(x);
      parts[i % 100]!.add(x);
    });
    const merged = parts.reduce((acc, part) => acc.merge(part), new QuantileSketch());
    expect(merged.count).toBe(whole.count);
    expect(merged.min).toBe(whole.min);
    expect(merged.max).toBe(whole.max);
    for (const q of [0, ...QUANTILES, 1]) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  test('merging in any order, and merging an empty sketch, changes nothing', () => {
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    [1, 2, 3].forEach((x) => a.add(x));
    [1000, 2000].forEach((x) => b.add(x));
    const ab = a.clone().merge(b);
    const ba = b.clone().merge(a).merge(new QuantileSketch());
    for (const q of QUANTILES) expect(ab.quantile(q)).toBe(ba.quantile(q));
    expect(ab.count).toBe(5);
  });
});

describe('QuantileSketch serialisation', () => {
  test('bytes and base64 round-trip to the same quantiles', () => {
    const random = seededRandom(42);
    const sketch = new QuantileSketch();
    for (let i = 0; i < 50_000; i++) sketch.add(random() < 0.01 ? 0 : Math.exp(normal(random, 2, 2)));
    const back = QuantileSketch.fromBase64(sketch.toBase64());
    expect(back.count).toBe(sketch.count);
    expect(back.sum).toBe(sketch.sum);
    expect(back.min).toBe(sketch.min);
    expect(back.max).toBe(sketch.max);
    for (const q of [0, 0.001, ...QUANTILES, 1]) expect(back.quantile(q)).toBe(sketch.quantile(q));
    // Compact: 50,000 values over many decades fit in about two kilobytes.
    expect(sketch.toBytes().length).toBeLessThan(4096);
  });

  test('garbage is refused with a RangeError naming the problem', () => {
    expect(() => QuantileSketch.fromBase64('not base64!')).toThrow(/not base64/);
    expect(() => QuantileSketch.fromBytes(new Uint8Array([9]))).toThrow(/unknown format version 9/);
    expect(() => QuantileSketch.fromBytes(new Uint8Array([1, 5]))).toThrow(/truncated/);
    const good = new QuantileSketch();
    good.add(5);
    const bytes = good.toBytes();
    expect(() => QuantileSketch.fromBytes(new Uint8Array([...bytes, 0]))).toThrow(/trailing bytes/);
    bytes[1] = 7; // count no longer matches the buckets
    expect(() => QuantileSketch.fromBytes(bytes)).toThrow(/do not add up/);
  });
});

describe('QuantileSketch edge cases', () => {
  test('an empty sketch answers NaN and serialises', () => {
    const empty = new QuantileSketch();
    expect(empty.quantile(0.5)).toBeNaN();
    expect(empty.mean).toBeNaN();
    const back = QuantileSketch.fromBase64(empty.toBase64());
    expect(back.count).toBe(0);
    expect(back.quantile(0.99)).toBeNaN();
  });

  test('a single value is every quantile, exactly', () => {
    const one = new QuantileSketch();
    one.add(123.456);
    for (const q of [0, 0.5, 0.99, 1]) expect(one.quantile(q)).toBe(123.456);
    expect(one.mean).toBe(123.456);
  });

  test('zeros, NaN, negative and infinite values', () => {
    const s = new QuantileSketch();
    s.add(0);
    s.add(0);
    s.add(10);
    s.add(NaN);
    s.add(-1);
    s.add(Infinity);
    expect(s.count).toBe(3);
    expect(s.quantile(0.5)).toBe(0);
    expect(s.quantile(1)).toBe(10);
  });

  test('quantile outside 0..1 is NaN', () => {
    const s = new QuantileSketch();
    s.add(1);
    expect(s.quantile(1.5)).toBeNaN();
    expect(s.quantile(-0.1)).toBeNaN();
  });
});

describe('QuantileSketch bounds', () => {
  test('the index range follows from the sketch\'s maths: 1 ns .. 1e12 ms with γ = 1.01/0.99', () => {
    const logGamma = Math.log(1.01 / 0.99);
    expect(MIN_INDEX).toBe(Math.ceil(Math.log(MIN_INDEXABLE) / logGamma));
    expect(MAX_INDEX).toBe(Math.ceil(Math.log(MAX_VALUE) / logGamma));
    expect([MIN_INDEX, MAX_INDEX, MAX_BUCKETS]).toEqual([-690, 1382, 2073]);
  });

  test('values past MAX_VALUE count as MAX_VALUE; the extremes of a double stay decodable', () => {
    const sketch = new QuantileSketch();
    for (const v of [Number.MAX_VALUE, 1e308, 5e-324, MIN_INDEXABLE, MAX_VALUE]) sketch.add(v);
    expect(sketch.count).toBe(5);
    expect(sketch.max).toBe(MAX_VALUE);
    expect(Number.isFinite(sketch.sum)).toBe(true);
    expect(QuantileSketch.fromBytes(sketch.toBytes()).quantile(1)).toBe(MAX_VALUE);
  });

  test('decoding refuses what lies outside the bounds before allocating, naming the bound', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a bucket 30,000,000 indices away (issue 13)', 'AQIAAAAAAAAAAEAAAAAAAADwPwAAAAAAAPA/AgABgI7OHAE=', /bucket index 30000000 outside -690\.\.1382/],
      ['a sum of Infinity (issue 13)', 'AQIAAAAAAAAA8H+gyOuF88zhf6DI64XzzOF/AYaqBAI=', /min\/max\/sum out of range/],
      ['2^32 buckets declared in 40 bytes', btoa(String.fromCharCode(1, 1, 0, ...new Array(24).fill(0).map((_, i) => (i % 8 === 6 ? 0xf0 : i % 8 === 7 ? 0x3f : 0)), 0x80, 0x80, 0x80, 0x80, 0x10)), /buckets declared/],
    ];
    for (const [name, base64, message] of cases) expect(() => QuantileSketch.fromBase64(base64), name).toThrow(message);
  });
});
