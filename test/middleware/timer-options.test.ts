// Every timer an explicit-API option sets has an upper bound (found by a review): Bun's and Node's
// timers run a delay past 2^31 - 1 ms after 1 ms, so `profiling.interval: 2 ** 31` profiled every
// millisecond and a dashboard's `refreshInterval: 1e300` had each open tab flood the app.
import { expect, test } from 'bun:test';
import { ALERTING, DASHBOARD, MONITOR, TRACER } from '../../src/core/config/settings.ts';
import { PerformanceAlerting } from '../../src/middleware/performance-alerting.ts';
import { PerformanceDashboard } from '../../src/middleware/performance-dashboard.ts';
import { PerformanceMonitor } from '../../src/middleware/performance-monitor.ts';
import { RequestTracer } from '../../src/middleware/request-tracer.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMERS = [MONITOR.profilingInterval, MONITOR.storageFlushInterval, TRACER.spanTimeout, ALERTING.evaluationInterval, ALERTING.evaluationDelay, DASHBOARD.refreshInterval];
const custom = { type: 'custom' as const, customHandler: () => {} };
const construct: Array<[string, (ms: number) => object]> = [
  ['performanceMonitor option profiling.interval', (ms) => new PerformanceMonitor({ profiling: { interval: ms } })],
  ['performanceMonitor option storage.flushInterval', (ms) => new PerformanceMonitor({ profiling: { enabled: false }, storage: { ...custom, flushInterval: ms } })],
  ['requestTracer option spanTimeout', (ms) => new RequestTracer({ spanTimeout: ms })],
  ['performanceAlerting option evaluationInterval', (ms) => new PerformanceAlerting({ evaluationInterval: ms })],
  ['performanceDashboard option refreshInterval', (ms) => new PerformanceDashboard({ refreshInterval: ms })],
];

test('every timer setting of the explicit API has an upper bound a timer can wait', () => {
  for (const setting of TIMERS) expect([setting.key, setting.kind.max! <= MAX_TIMER_MS]).toEqual([setting.key, true]);
});

test.each(construct)('%s: a delay no timer can wait is refused, naming the option and its range', (name, make) => {
  for (const ms of [2 ** 31, 1e300]) expect(() => make(ms)).toThrow(new RegExp(`^${name}: expected an? (integer|number) from \\d+ to \\d+, got ${String(ms).replace('+', '\\+')}$`));
  // The largest delay allowed is taken.
  const key = name.split(' ').pop()!;
  const max = TIMERS.find((s) => s.key === key)!.kind.max!;
  const made = make(max) as { close?(): unknown };
  made.close?.();
});
