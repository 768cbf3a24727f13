// A rollup cell's numbers must agree with each other: durationSum between count × durationMin and
// count × durationMax, and its sketch's own minimum and maximum those of the cell (within the
// sketch's 1 %). Cells that contradict themselves were stored and shown (mean 0 beside p50 19.9;
// max 30 beside p99 0). What clients build always agrees: cells of many random durations from the
// preload's HotRollups and the middleware's RollupTable, and merges of them, all pass.
import { describe, expect, test } from 'bun:test';
import { HotRollups } from '../../src/core/hot-rollups.ts';
import { fromWire, mergeInto, RollupTable, TEN_SECONDS_MS, toWire } from '../../src/core/rollup.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { MAX_CELL_COUNT, MAX_DURATION_MS } from '../../src/core/value-bounds.ts';
import { toMicros, type RollupCell } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';
import { seededRandom } from '../support/random.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = NOW - (NOW % 60_000) - 60_000;

function problemsOf(rollups: RollupCell[]): Array<{ path: string; message: string }> {
  // Through JSON, as the edge receives them.
  const batch = JSON.parse(JSON.stringify({ ...makeBatch(MINUTE + 10_000), rollups }));
  const result = validateBatch(batch, { now: NOW, maxProblems: 1_000 });
  return result.ok ? [] : result.problems;
}

/** Durations as a server measures them: sub-µs to 30 days, log-spread, some rounded to the µs, some 0. */
function durations(random: () => number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    if (i % 97 === 0) return 0;
    if (i % 89 === 0) return MAX_DURATION_MS;
    const ms = 10 ** (random() * 15 - 6); // 1 ns .. 1e9 ms
    return i % 2 === 0 ? toMicros(Math.min(ms, MAX_DURATION_MS)) : Math.min(ms, MAX_DURATION_MS);
  });
}

describe('cells real clients build pass the consistency checks', () => {
  test('the preload\'s HotRollups: 40 routes × 3 methods × 5 classes of random durations, over 6 windows', () => {
    const random = seededRandom(11);
    const rollups = new HotRollups();
    const values = durations(random, 60_000);
    values.forEach((ms, i) => {
      const time = MINUTE + Math.floor(random() * 6) * TEN_SECONDS_MS + 1;
      rollups.record(time, ['GET', 'POST', 'PUT'][i % 3]!, `/r/${i % 40}`, [101, 200, 302, 404, 503][i % 5]!, ms, 100, false);
    });
    const cells = rollups.drain();
    expect(cells.length).toBeGreaterThan(500);
    expect(problemsOf(cells)).toEqual([]);
  });

  test('the middleware\'s RollupTable, with repeated requests (`times`) and saturating sums', () => {
    const random = seededRandom(12);
    const table = new RollupTable();
    for (const ms of durations(random, 20_000)) {
      table.record(MINUTE + Math.floor(random() * 60_000), 'GET', `/t/${Math.floor(random() * 50)}`, 200, ms, 10, false, 1 + Math.floor(random() * 1_000_000));
    }
    expect(problemsOf(table.drain())).toEqual([]);
  });

  test('cells merged as the edge and the batcher merge them: 10-second cells into minutes, through the wire, many times', () => {
    const random = seededRandom(13);
    const rollups = new HotRollups();
    for (const ms of durations(random, 30_000)) rollups.record(MINUTE + Math.floor(random() * 60_000), 'GET', `/m/${Math.floor(random() * 5)}`, 200, ms, 1, false);
    const tenSeconds = rollups.drain();
    const minutes = new RollupTable();
    for (const cell of tenSeconds) minutes.mergeCell(cell);
    const merged = minutes.drain();
    expect(problemsOf([...tenSeconds, ...merged])).toEqual([]);
    // Each cell merged into itself through the wire, as a stored row is read and written again, up to the most a cell may count.
    const doubled = merged.map((wire) => {
      let cell = fromWire(wire);
      while (cell.count * 2 <= MAX_CELL_COUNT) cell = mergeInto(fromWire(toWire(cell)), fromWire(toWire(cell)));
      return toWire(cell);
    });
    expect(problemsOf(doubled)).toEqual([]);
  });
});

function sketchOf(values: number[]): string {
  const sketch = new QuantileSketch();
  for (const value of values) sketch.add(value);
  return sketch.toBase64();
}

/** A cell of `values` as a client sends it, then `change`d. */
function cell(values: number[], change: Partial<RollupCell> = {}): RollupCell {
  return {
    minute: MINUTE, method: 'GET', route: '/x', statusClass: '2xx', count: values.length, errors: 0,
    durationSum: values.reduce((a, b) => a + b, 0), durationMin: Math.min(...values), durationMax: Math.max(...values),
    bytes: 0, sketch: sketchOf(values), ...change,
  };
}

describe('cells that contradict themselves are refused, naming the field', () => {
  const cases: Array<[string, RollupCell, string, RegExp]> = [
    ['durationSum 0 for requests of 10, 20 and 30 ms', cell([10, 20, 30], { durationSum: 0 }), 'rollups[0].durationSum', /expected durationSum ≥ count × durationMin/],
    ['durationSum just under count × durationMin', cell([10, 10, 10], { durationSum: 29.99 }), 'rollups[0].durationSum', /≥ count × durationMin/],
    ['durationMin 29 over a sketch of 10, 20 and 30', cell([10, 20, 30], { durationMin: 29, durationSum: 90 }), 'rollups[0].sketch', /minimum is durationMin \(29\) within 1 %, got 10/],
    ['durationMin 5 under a sketch of 10, 20 and 30', cell([10, 20, 30], { durationMin: 5 }), 'rollups[0].sketch', /minimum is durationMin \(5\) within 1 %, got 10/],
    ['durationMax 30 over a sketch of values of 0.000001', cell([1e-6, 1e-6, 1e-6], { durationMin: 0, durationMax: 30, durationSum: 90 }), 'rollups[0].sketch', /maximum is durationMax \(30\) within 1 %, got 0\.000001/],
    ['durationMax 31 over a sketch of 10, 20 and 30', cell([10, 20, 30], { durationMax: 31 }), 'rollups[0].sketch', /maximum is durationMax \(31\)/],
  ];
  for (const [name, bad, path, message] of cases) {
    test(name, () => {
      const problems = problemsOf([bad]);
      expect(problems.find((p) => p.path === path)?.message).toMatch(message);
    });
  }

  test('within the sketch\'s accuracy and float rounding, a cell is accepted', () => {
    expect(problemsOf([cell([10, 20, 30], { durationMin: 10.05, durationSum: 60 * (1 - 1e-9) })])).toEqual([]);
    expect(problemsOf([cell([0, 5], { durationMin: 0 }), cell([4e-7, 5], { route: '/y', durationMin: 0 })])).toEqual([]);
  });
});
