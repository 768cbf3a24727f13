import { describe, expect, test } from 'bun:test';
import { addCell, emptyAggregate } from '../../../src/core/query/aggregate.ts';
import { apdexOf, countAtMost } from '../../../src/core/query/apdex.ts';
import { RollupTable } from '../../../src/core/rollup.ts';
import { QuantileSketch } from '../../../src/core/sketch.ts';
import { seededRandom } from '../../support/random.ts';

describe('countAtMost', () => {
  test('equals the exact count away from the limit, over many distributions and limits', () => {
    const random = seededRandom(11);
    for (let round = 0; round < 40; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 3000) }, () => Math.exp(random() * 8) * (round % 3 === 0 ? 0.01 : 1));
      const sketch = new QuantileSketch();
      values.forEach((v) => sketch.add(v));
      for (const limit of [0.5, 3, 20, 100, 500, 2000]) {
        // Values within 1 % of the limit may fall either side: that is the sketch's bound.
        const near = values.filter((v) => Math.abs(v - limit) <= limit * 0.011).length;
        const exact = values.filter((v) => v <= limit).length;
        expect(Math.abs(countAtMost(sketch, limit) - exact)).toBeLessThanOrEqual(near);
      }
    }
  });

  test('empty, all below, all above, one value, zeros', () => {
    const sketch = new QuantileSketch();
    expect(countAtMost(sketch, 10)).toBe(0);
    sketch.add(5);
    expect([countAtMost(sketch, 4), countAtMost(sketch, 5), countAtMost(sketch, 6)]).toEqual([0, 1, 1]);
    sketch.add(0, 3);
    sketch.add(100);
    expect([countAtMost(sketch, 0), countAtMost(sketch, 50), countAtMost(sketch, 1000)]).toEqual([3, 4, 5]);
  });
});

describe('apdexOf', () => {
  test('(satisfied + tolerating / 2) / requests, errors frustrated whatever their duration', () => {
    const table = new RollupTable();
    const t = Date.UTC(2026, 0, 1);
    for (const ms of [10, 100, 400]) table.record(t, 'GET', '/a', 200, ms, 0); // satisfied
    for (const ms of [600, 1900]) table.record(t, 'GET', '/a', 200, ms, 0); // tolerating
    table.record(t, 'GET', '/a', 200, 2500, 0); // frustrated
    table.record(t, 'GET', '/a', 500, 5, 0, true); // fast, but an error
    table.record(t, 'GET', '/a', 404, 5, 0); // a 4xx is not an error: satisfied
    const total = emptyAggregate();
    for (const cell of table.cellsNow()) addCell(total, cell);
    expect(apdexOf(total, 500)).toBeCloseTo((4 + 2 / 2) / 8, 12);
    expect(apdexOf(total, 90)).toBeCloseTo((2 + 1 / 2) / 8, 12);
    expect(apdexOf(emptyAggregate())).toBeNull();
  });

  test("a cell mixing errors and successes rates its successes by its sketch, scaled", () => {
    const sketch = new QuantileSketch();
    for (const ms of [10, 10, 1000, 5000]) sketch.add(ms);
    const total = addCell(emptyAggregate(), {
      minute: 0, method: 'GET', route: '/', statusClass: '2xx', count: 4, errors: 2, durationSum: 6020, durationMin: 10, durationMax: 5000, bytes: 0, sketch,
    });
    // Successes: half of the cell, rated like it: 2 of 4 satisfied, 1 of 4 tolerating → 1 + 0.5·0.5 over 4.
    expect(apdexOf(total, 500)).toBeCloseTo((1 + 0.5 / 2) / 4, 12);
  });

  // A review's crafted totals: 15,000 cells of 2^40 requests each, every one 1 ms, came out 0.55
  // once the requests passed 2^53 (the sketches saturate there, the summed counts ran on).
  test('past 2^53 requests, saturated sketches still rate as the requests do', () => {
    const cellOf = (ms: number, count: number) => {
      const sketch = new QuantileSketch();
      sketch.add(ms, count);
      return { minute: 0, method: 'GET', route: '/', statusClass: '2xx' as const, count, errors: 0, durationSum: ms * count, durationMin: ms, durationMax: ms, bytes: 0, sketch };
    };
    const fast = emptyAggregate();
    for (let i = 0; i < 15_000; i++) addCell(fast, cellOf(1, 2 ** 40));
    expect(fast.requests).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect(apdexOf(fast, 500)).toBe(1);
    // Half fast, half slow, just under 2^53 in all: half satisfied, and the rank search ends.
    const split = emptyAggregate();
    for (let i = 0; i < 4_000; i++) addCell(split, cellOf(1, 2 ** 40));
    for (let i = 0; i < 4_000; i++) addCell(split, cellOf(10_000, 2 ** 40));
    expect(apdexOf(split, 500)).toBe(0.5);
    expect(countAtMost(split.okSketch, 500)).toBe(4_000 * 2 ** 40);
  });
});
