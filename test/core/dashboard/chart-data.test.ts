// The System chart's data: a time column and one series per instance, whatever the instances are called.
import { describe, expect, test } from 'bun:test';
import { systemChartData, type InstanceProfile } from '../../../src/core/dashboard/chart-data.ts';

const FROM = Date.UTC(2026, 10, 28, 8, 0, 0);
const STEP = 10_000;

function profile(instance: string, at: number, mib: number): InstanceProfile {
  return { instance, timestamp: FROM + at, rss: mib * 1_048_576, cpuPercent: 1, eventLoopLagMs: 1 };
}

describe('systemChartData', () => {
  test('instances named t, __proto__ or constructor are series like any other; t stays the time axis', () => {
    const names = ['web-1', 't', '__proto__', 'constructor'];
    const profiles = names.flatMap((name, i) => [profile(name, 0, 10 * (i + 1)), profile(name, 2 * STEP + 1, 10 * (i + 1) + 1)]);
    // Through JSON, as the dashboard's browser code gets it.
    const data = JSON.parse(JSON.stringify(systemChartData('memory', profiles, FROM, FROM + 3 * STEP, STEP)));
    expect(data.t).toEqual([0, 1, 2].map((i) => (FROM + i * STEP) / 1000));
    expect(data.series).toEqual([
      { name: '__proto__', values: [30, null, 31] },
      { name: 'constructor', values: [40, null, 41] },
      { name: 't', values: [20, null, 21] },
      { name: 'web-1', values: [10, null, 11] },
    ]);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  test('profiles outside the window are left out; no profile, no series', () => {
    const data = systemChartData('cpu', [profile('web-1', -1, 1), profile('web-1', 3 * STEP, 1)], FROM, FROM + 3 * STEP, STEP);
    expect(data).toEqual({ t: [0, 1, 2].map((i) => (FROM + i * STEP) / 1000), series: [] });
  });
});
