import { describe, expect, test } from 'bun:test';
import { parseColumns, timeseries, toUplotData } from '../../../src/core/query/timeseries.ts';
import { HOUR_MS, MAX_POINTS, planWindow } from '../../../src/core/query/window.ts';
import { RollupTable } from '../../../src/core/rollup.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const MINUTE = 60_000;

describe('timeseries', () => {
  const table = new RollupTable();
  table.record(T0 + 5, 'GET', '/a', 200, 10, 0);
  table.record(T0 + 6, 'GET', '/a', 503, 30, 0);
  table.record(T0 + 2 * MINUTE, 'GET', '/a', 200, 20, 0);
  const cells = table.cellsNow();

  test('uPlot columns: equal lengths, ascending times, null where a bucket is empty', () => {
    const series = timeseries(cells, { from: T0, to: T0 + 3 * MINUTE, step: MINUTE, columns: ['requests', 'errors', 'errorRate', 'max', '5xx', 'rps'] });
    expect(series.t).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(series.requests).toEqual([2, null, 1]);
    expect(series.errors).toEqual([1, null, 0]);
    expect(series.errorRate).toEqual([0.5, null, 0]);
    expect(series.max).toEqual([30, null, 20]);
    expect(series['5xx']).toEqual([1, null, 0]);
    expect(series.rps).toEqual([2 / 60, null, 1 / 60]);
  });

  test('a last bucket cut short by `to` counts its rate over its own length', () => {
    const series = timeseries(cells, { from: T0, to: T0 + 3 * MINUTE, step: 2 * MINUTE, columns: ['requests', 'rps'] });
    expect(series.requests).toEqual([2, 1]);
    expect(series.rps).toEqual([2 / 120, 1 / 60]);
  });

  test('a bucket cut short by `until` (now) counts its rate over the time it covers', () => {
    const series = timeseries(cells, { from: T0, to: T0 + 3 * MINUTE, until: T0 + 2 * MINUTE + 15_000, step: MINUTE, columns: ['rps'] });
    expect(series.rps).toEqual([2 / 60, null, 1 / 15]);
  });

  test('10-second cells: six buckets a minute, each rate over its 10 seconds', () => {
    const fine = new RollupTable(10_000);
    for (let i = 0; i < 30; i++) fine.record(T0 + 20_000 + i * 1000, 'GET', '/a', 200, 5, 0);
    const series = timeseries(fine.cellsNow(), { from: T0, to: T0 + MINUTE, step: 10_000, columns: ['requests', 'rps'] });
    expect(series.requests).toEqual([null, null, 10, 10, 10, null]);
    expect(series.rps).toEqual([null, null, 1, 1, 1, null]);
  });

  test('metric names and groups; unknown names are refused by name', () => {
    expect(parseColumns('latency,requests,p95')).toEqual(['avg', 'p50', 'p95', 'p99', 'max', 'requests']);
    expect(() => parseColumns('p95,<script>')).toThrow(/unknown metric "<script>"/);
    expect(() => parseColumns(' , ')).toThrow(/at least one/);
    expect(() => parseColumns('toString')).toThrow(/unknown metric/);
  });

  test('toUplotData: x in unix seconds, one array per column', () => {
    const series = timeseries(cells, { from: T0, to: T0 + 2 * MINUTE, step: MINUTE, columns: ['requests'] });
    expect(toUplotData(series, ['requests', 'p50'])).toEqual([[T0 / 1000, T0 / 1000 + 60], [2, null], [null, null]]);
  });
});

describe('planWindow', () => {
  const options = { now: T0 + 30_000, tenSecondRetentionMs: 3 * HOUR_MS, minuteRetentionMs: 48 * HOUR_MS };
  const SECONDS_10 = 10_000;

  test('default: the last hour in 10-second cells, 360 buckets; the data covers up to now', () => {
    expect(planWindow({}, options)).toEqual({ from: T0 + 30_000 - HOUR_MS, to: T0 + 30_000, until: T0 + 30_000, step: SECONDS_10, resolution: '10s' });
    expect(planWindow({ from: T0 - 15 * MINUTE + 1, to: T0 + 25_000 }, options)).toEqual({ from: T0 - 15 * MINUTE, to: T0 + 30_000, until: T0 + 30_000, step: SECONDS_10, resolution: '10s' });
  });

  test('an hour, a quarter and a day not on a cell boundary get the step of an aligned one (the API\'s default window is now − 1 h)', () => {
    const now = T0 + 30_000 + 4_321;
    for (const [span, step] of [[HOUR_MS, SECONDS_10], [15 * MINUTE, SECONDS_10], [24 * HOUR_MS, 5 * MINUTE]] as const) {
      const planned = planWindow({ from: now - span, to: now }, { ...options, now });
      expect(planned.step).toBe(step);
      expect(Math.ceil((planned.to - planned.from) / planned.step)).toBe(span / step + 1);
    }
  });

  test('the finest table that covers the window gives the step; the coarsest table whose unit divides it answers', () => {
    expect(planWindow({ from: T0 - 6 * HOUR_MS, to: T0 }, options)).toMatchObject({ step: MINUTE, resolution: 'minute' });
    expect(planWindow({ from: T0 - 24 * HOUR_MS, to: T0 }, options)).toMatchObject({ step: 5 * MINUTE, resolution: 'minute' });
    expect(planWindow({ from: T0 - HOUR_MS, to: T0, step: MINUTE }, options)).toMatchObject({ resolution: 'minute' });
    expect(planWindow({ from: T0 - HOUR_MS, to: T0, step: 30_000 }, options)).toMatchObject({ resolution: '10s' });
    expect(planWindow({}, { ...options, tenSecondRetentionMs: 0 })).toMatchObject({ from: T0 - HOUR_MS, to: T0 + MINUTE, step: MINUTE, resolution: 'minute' });
  });

  test('hours past minute retention or for whole-hour steps', () => {
    expect(planWindow({ from: T0 - 72 * HOUR_MS + 1, to: T0 }, options)).toMatchObject({ from: T0 - 72 * HOUR_MS, resolution: 'hour', step: HOUR_MS });
    expect(planWindow({ from: T0 - HOUR_MS, to: T0, step: HOUR_MS }, options)).toMatchObject({ resolution: 'hour' });
  });

  test('a window whose first cell began before a table\'s horizon is answered from the next table (that cell was never kept)', () => {
    const horizon = options.now - options.tenSecondRetentionMs; // T0 + 30 s − 3 h: a 10-second boundary
    expect(planWindow({ from: horizon, to: T0 }, options)).toMatchObject({ from: horizon, resolution: '10s' });
    // 9.999 s into the cell before the horizon: aligned down, that cell would start before it.
    expect(planWindow({ from: horizon - 1, to: T0 }, options)).toMatchObject({ resolution: 'minute' });
    const minuteHorizon = options.now - options.minuteRetentionMs;
    expect(planWindow({ from: minuteHorizon + 10_000, to: T0 }, options)).toMatchObject({ resolution: 'hour' });
    expect(planWindow({ from: minuteHorizon - (minuteHorizon % MINUTE) + MINUTE, to: T0 }, options)).toMatchObject({ resolution: 'minute' });
  });

  test('until: `to` for a past window, now for one that reaches ahead, from for one wholly ahead', () => {
    expect(planWindow({ from: T0 - HOUR_MS, to: T0 - MINUTE }, options).until).toBe(T0 - MINUTE);
    expect(planWindow({ from: T0 - HOUR_MS, to: T0 + HOUR_MS }, options).until).toBe(T0 + 30_000);
    const ahead = planWindow({ from: T0 + HOUR_MS, to: T0 + 2 * HOUR_MS }, options);
    expect(ahead.until).toBe(ahead.from);
  });

  test('refuses what it cannot answer, naming the parameter', () => {
    expect(() => planWindow({ from: T0, to: T0 }, options)).toThrow(/^from: expected from < to/);
    expect(() => planWindow({ step: 1000 }, options)).toThrow(/^step:/);
    expect(() => planWindow({ from: T0 - HOUR_MS, to: T0, step: 15_000 }, options)).toThrow(/^step: expected a multiple of 10000 ms/);
    expect(() => planWindow({ from: T0 - 72 * HOUR_MS, to: T0, step: 5 * MINUTE }, options)).toThrow(/^step: expected a multiple of 3600000 ms/);
    expect(() => planWindow({ from: 0, to: T0, step: HOUR_MS }, options)).toThrow(new RegExp(`more than ${MAX_POINTS} points`));
    expect(() => planWindow({ from: -5 }, options)).toThrow(/^from:/);
  });
});
