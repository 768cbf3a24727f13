import { describe, expect, test } from 'bun:test';
import { cellProblem, fromWire, mergeInto, minuteOf, RollupTable, toWire } from '../../src/core/rollup.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { MAX_DURATION_MS } from '../../src/core/value-bounds.ts';
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

  test('durations and sizes outside what the edge accepts are clamped into it, so a client never builds a cell the edge refuses', () => {
    const table = new RollupTable();
    table.record(T0, 'GET', '/x', 200, 1e308, 1e300);
    table.record(T0, 'GET', '/x', 200, -5, -1);
    table.record(T0, 'GET', '/x', 200, NaN, NaN);
    const [cell] = table.drain();
    expect(cell).toMatchObject({ count: 3, durationSum: MAX_DURATION_MS, durationMin: 0, durationMax: MAX_DURATION_MS, bytes: Number.MAX_SAFE_INTEGER });
    const batch = makeBatch(T0);
    batch.rollups = [cell!];
    expect(validateBatch(batch, { now: T0 }).ok).toBe(true);
  });

  test('merging a cell into itself 60 times saturates at 2^53 − 1: exact counts, finite sums, the sketch agrees', () => {
    const table = new RollupTable();
    table.record(T0, 'GET', '/x', 500, MAX_DURATION_MS, 2 ** 40, false, 2 ** 40);
    let cell = fromWire(table.drain()[0]!);
    for (let i = 0; i < 60; i++) cell = mergeInto(fromWire(toWire(cell)), fromWire(toWire(cell)));
    expect(cell.count).toBe(Number.MAX_SAFE_INTEGER);
    expect(cell.errors).toBe(Number.MAX_SAFE_INTEGER);
    expect(cell.bytes).toBe(Number.MAX_SAFE_INTEGER);
    expect(cell.sketch.count).toBe(Number.MAX_SAFE_INTEGER);
    expect(Number.isFinite(cell.durationSum)).toBe(true);
    expect(cellProblem(cell)).toBeNull();
    expect(QuantileSketch.fromBytes(cell.sketch.toBytes()).count).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('cellProblem names what is wrong with a cell read back from storage', () => {
    const good = fromWire(makeBatch(T0).rollups[0]!);
    expect(cellProblem(good)).toBeNull();
    expect(cellProblem({ ...good, durationSum: Infinity })).toMatch(/duration sum/);
    expect(cellProblem({ ...good, durationMax: 1e308 })).toMatch(/min\/max/);
    expect(cellProblem({ ...good, count: good.count + 1 })).toMatch(/sketch counts/);
    expect(cellProblem({ ...good, errors: good.count + 1 })).toMatch(/errors/);
    expect(cellProblem({ ...good, statusClass: '9xx' as never })).toMatch(/status class/);
    expect(cellProblem({ ...good, count: 1.5 })).toMatch(/count/);
  });

  test('minuteOf floors to the minute', () => {
    expect(minuteOf(T0 + 59_999)).toBe(T0);
    expect(minuteOf(T0 + 60_000)).toBe(T0 + 60_000);
  });

  test('10-second tables: cells on 10 s, sent with seconds: 10 and back; a minute merged in widens the cell', () => {
    const table = new RollupTable(10_000);
    table.record(T0 + 9_999, 'GET', '/a', 200, 5, 0);
    table.record(T0 + 10_000, 'GET', '/a', 200, 7, 0);
    const cells = table.drain();
    expect(cells.map((c) => [c.minute - T0, c.seconds, c.count])).toEqual([[0, 10, 1], [10_000, 10, 1]]);
    const live = fromWire(cells[0]!);
    expect(live.seconds).toBe(10);
    expect(toWire(live)).toEqual(cells[0]!);
    const minute = new RollupTable();
    minute.record(T0 + 1, 'GET', '/a', 200, 3, 0);
    const [wide] = minute.drain();
    expect(wide!.seconds).toBeUndefined();
    const merged = mergeInto(fromWire(cells[0]!), fromWire(wide!));
    expect(merged).toMatchObject({ count: 2, durationMin: 3, durationMax: 5 });
    expect(merged.seconds).toBeUndefined();
    expect(toWire(merged).seconds).toBeUndefined();
    expect(() => new RollupTable(30_000)).toThrow(RangeError);
  });
});
