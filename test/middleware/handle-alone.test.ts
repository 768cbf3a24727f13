// `handle` passed alone (`router.use(monitor.handle)`, as a router whose use() takes a function
// invites): it had thrown `undefined is not an object (evaluating 'this.#options')` on every
// request, uncounted (a review). Each class's handle works without its object.
import { afterEach, expect, test } from 'bun:test';
import { PerformanceAlerting, PerformanceDashboard, PerformanceMonitor, RequestTracer } from '../../src/middleware/index.ts';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const ok = async () => new Response('ok');

test('PerformanceMonitor and RequestTracer: handle alone counts and traces the request', async () => {
  const monitor = new PerformanceMonitor({ sampleRate: 1 });
  const tracer = new RequestTracer({ sampleRate: 1 });
  closers.push(() => monitor.close(), () => tracer.close());
  const { handle: count } = monitor;
  const { handle: trace } = tracer;
  const response = await count(new Request('http://app.test/users/1'), () => trace(new Request('http://app.test/users/1'), ok));
  expect(await response.text()).toBe('ok');
  expect(monitor.getMetrics().map((m) => m.statusCode)).toEqual([200]);
  expect(tracer.getRecentSpans().map((span) => span.kind)).toEqual(['server']);
});

test('PerformanceAlerting and PerformanceDashboard: handle alone records, and answers the dashboard or passes on', async () => {
  const alerting = new PerformanceAlerting({ sampleProcess: false, channels: [], rules: [] });
  const dashboard = new PerformanceDashboard({});
  closers.push(() => alerting.close());
  const { handle: alert } = alerting;
  const { handle: show } = dashboard;
  expect((await alert(new Request('http://app.test/orders'), ok)).status).toBe(200);
  expect((await show(new Request('http://app.test/orders'), ok)).status).toBe(200);
  const page = await show(new Request('http://app.test/performance'), ok);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
});
