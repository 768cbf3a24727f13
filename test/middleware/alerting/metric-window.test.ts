// The in-process alerting's detail records keep strings cut to the wire format's limits, copied
// (found by a review: each record kept its whole path, and in Bun a slice keeps the string it was
// cut from alive).
import { heapStats } from 'bun:jsc';
import { expect, test } from 'bun:test';
import { LIMITS } from '../../../src/core/wire-format.ts';
import { MetricWindow } from '../../../src/middleware/alerting/metric-window.ts';
import { PerformanceAlerting, type AlertSample } from '../../../src/middleware/performance-alerting.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

test('a custom evaluator sees the path, user agent, route and error cut to the wire format\'s limits', async () => {
  let seen: AlertSample[] = [];
  const alerting = new PerformanceAlerting({
    sampleProcess: false, now: () => T0, log: () => {},
    rules: [{ id: 'c', name: 'Custom', metric: 'custom', condition: 'gt', threshold: 0, severity: 'info', customEvaluator: (metrics) => ((seen = metrics), false) }],
  });
  const long = (c: string) => c.repeat(100_000);
  alerting.addMetrics({ timestamp: T0, method: 'GET', path: `/users/${long('p')}`, statusCode: 500, responseTime: 5, userAgent: long('u'), error: long('e') });
  alerting.addMetrics({ timestamp: T0, method: 'GET', path: '/x', route: `/r/${long('r')}`, statusCode: 200, responseTime: 5, userAgent: 'curl/8' });
  await alerting.flush();
  alerting.close();
  expect(seen.map((s) => [s.path.length, s.userAgent?.length, s.error?.length, s.route?.length])).toEqual([
    [LIMITS.pathLength, LIMITS.userAgentLength, LIMITS.errorLength, '/users/:id'.length],
    [2, 6, undefined, LIMITS.routeLength],
  ]);
  expect(seen[0]!.path).toBe(`/users/${long('p')}`.slice(0, LIMITS.pathLength));
  expect('error' in seen[1]!).toBe(false);
});

test('1,000 records of 16 KB paths and user agents hold ~3 KB each (a slice kept both whole: +32 MB)', () => {
  const window = new MetricWindow({ instance: '', maxSamples: 10_000, routeCap: 10 }, T0);
  const heap = () => {
    Bun.gc(true);
    return heapStats().heapSize;
  };
  const before = heap();
  for (let i = 0; i < 1000; i++) {
    window.add({ timestamp: T0, method: 'GET', path: `/users/${i}${'a'.repeat(16_000)}`, route: '/users/:id', statusCode: 200, responseTime: 1, userAgent: `${i}${'b'.repeat(16_000)}` }, T0);
  }
  expect(window.data().samples.length).toBe(1000);
  expect(heap() - before).toBeLessThan(8_000_000);
});

test('methods other than the standard ones are counted as OTHER: 5,000 made-up methods make one cell, not 5,000', () => {
  const window = new MetricWindow({ instance: '', maxSamples: 10, routeCap: 10 }, T0);
  for (let i = 0; i < 5_000; i++) window.add({ timestamp: T0, method: `M${i.toString(36).toUpperCase()}`, path: '/x', route: '/x', statusCode: 200, responseTime: 1 }, T0);
  window.add({ timestamp: T0, method: 'get', path: '/x', route: '/x', statusCode: 200, responseTime: 1 }, T0);
  const cells = window.data().cells.map((c) => [c.method, c.count]);
  expect(cells).toEqual([['OTHER', 5_000], ['GET', 1]]);
});

test('a route with a bidirectional control is kept as the edge keeps it, U+FFFD in its place, so that a rule can name it', () => {
  const window = new MetricWindow({ instance: '', maxSamples: 10, routeCap: 10 }, T0);
  window.add({ timestamp: T0, method: 'GET', path: '/r/x', route: '/r/\u202egnp.exe', statusCode: 200, responseTime: 1 }, T0);
  window.add({ timestamp: T0, method: 'GET', path: '/r/\u200bx', statusCode: 200, responseTime: 1 }, T0);
  expect(window.data().cells.map((c) => c.route).sort()).toEqual(['/r/\ufffdgnp.exe', '/r/\ufffdx']);
});
