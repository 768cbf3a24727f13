import { describe, expect, test } from 'bun:test';
import { fromWire, minuteOf, RollupTable } from '../../src/core/rollup.ts';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { makeBatch } from '../support/batch.ts';
import { exactQuantile, seededRandom } from '../support/random.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('RollupTable', () => {
  test('each request lands in the cell of its minute, method, route and status class', () => {
    const table = new RollupTable();
    table.record(T0 + 1, 'GET', '/users/:id', 200, 10, 100);
    table.record(T0 + 59_999, 'GET', '/users/:id', 204, 30, 0);
    table.record(T0 + 60_000, 'GET', '/users/:id', 200, 20, 100);
    table.record(T0 + 5, 'GET', '/users/:id', 404, 2, 9);
    table.record(T0 + 6, 'POST', '/users/:id', 500, 50, 0);
    table.record(T0 + 7, 'POST', '/users/:id', 500, 70, 0, true);
    const cells = table.drain();
    expect(table.size).toBe(0);
    const key = (c: { minute: number; method: string; statusClass: string }) => `${c.minute - T0} ${c.method} ${c.statusClass}`;
    expect(cells.map(key).sort()).toEqual(['0 GET 2xx', '0 GET 4xx', '0 POST 5xx', '60000 GET 2xx']);
    const first = cells.find((c) => key(c) === '0 GET 2xx')!;
    expect(first).toMatchObject({ count: 2, errors: 0, durationSum: 40, durationMin: 10, durationMax: 30, bytes: 100 });
    expect(cells.find((c) => key(c) === '0 POST 5xx')).toMatchObject({ count: 2, errors: 2 });
    expect(cells.find((c) => key(c) === '0 GET 4xx')).toMatchObject({ count: 1, errors: 0 });
  });

  test('cells from many tables merge to the exact counts and the quantiles of one table', () => {
    const random = seededRandom(7);
    const whole = new RollupTable();
    const merged = new RollupTable();
    const durations: number[] = [];
    for (let part = 0; part < 20; part++) {
      const table = new RollupTable();
      for (let i = 0; i < 500; i++) {
        const d = random() * 200;
        durations.push(d);
        table.record(T0, 'GET', '/x', 200, d, 1);
        whole.record(T0, 'GET', '/x', 200, d, 1);
      }
      for (const cell of table.drain()) merged.mergeCell(cell);
    }
    const [a] = merged.cellsNow();
    const [b] = whole.cellsNow();
    expect(a!.count).toBe(10_000);
    expect(a!.bytes).toBe(10_000);
    expect(a!.sketch.quantile(0.99)).toBe(b!.sketch.quantile(0.99));
    const sorted = durations.sort((x, y) => x - y);
    expect(Math.abs(a!.sketch.quantile(0.95) - exactQuantile(sorted, 0.95)) / exactQuantile(sorted, 0.95)).toBeLessThanOrEqual(0.01);
  });

  test('drained cells are valid wire cells and decode back', () => {
    const batch = makeBatch(T0);
    expect(validateBatch(batch, { now: T0 }).ok).toBe(true);
    const live = fromWire(batch.rollups[0]!);
    expect(live.sketch.count).toBe(batch.rollups[0]!.count);
  });

  test('minuteOf floors to the minute', () => {
    expect(minuteOf(T0 + 59_999)).toBe(T0);
    expect(minuteOf(T0 + 60_000)).toBe(T0 + 60_000);
  });
});
