// The explicit API counts a handler that failed because its client went away as the preload does:
// a 499 and no error, not a 500 (an errorRate rule had read cut uploads and abandoned long polls as
// the app's failures; the monitor had counted the 499 as an error).
import { expect, test } from 'bun:test';
import { compose, PerformanceAlerting, PerformanceDashboard, PerformanceMonitor, RequestTracer } from '../../src/middleware/index.ts';

/** A request whose client has gone: its signal aborted, as Bun aborts it. */
function cutUpload(): Request {
  const left = new AbortController();
  const request = new Request('http://app.test/upload', { method: 'POST', body: '{"a":', signal: left.signal });
  left.abort();
  return request;
}

const aborted = async (): Promise<Response> => {
  throw new DOMException('The operation was aborted.', 'AbortError');
};

test('PerformanceAlerting: a throw after the client left is a 499 without an error; one while it waits, a 500 error', async () => {
  let seen: Array<{ path: string; statusCode: number; error?: string }> = [];
  const alerting = new PerformanceAlerting({
    sampleProcess: false,
    channels: [],
    rules: [{ id: 'look', name: 'Look', enabled: true, metric: 'custom', condition: 'gt', threshold: 0, severity: 'info', customEvaluator: (metrics) => ((seen = [...metrics]), false) }],
  });
  await alerting.handle(cutUpload(), aborted).catch(() => {});
  await alerting.handle(new Request('http://app.test/boom'), async () => { throw new Error('boom'); }).catch(() => {});
  await alerting.flush();
  alerting.close();
  expect(seen.map((m) => [m.path, m.statusCode, m.error])).toEqual([['/upload', 499, undefined], ['/boom', 500, 'Error']]);
});

test('PerformanceMonitor: the same, in its metrics and its counts', async () => {
  const monitor = new PerformanceMonitor({ sampleRate: 1 });
  await monitor.handle(cutUpload(), aborted).catch(() => {});
  await monitor.handle(new Request('http://app.test/boom'), async () => { throw new Error('boom'); }).catch(() => {});
  expect(monitor.getMetrics().map((m) => [m.path, m.statusCode, m.error])).toEqual([['/upload', 499, undefined], ['/boom', 500, 'Error']]);
  // Was: the 499 counted as an error too (2 of 2).
  expect(monitor.getAggregatedMetrics().errorRate).toBe(0.5);
  await monitor.close();
});

/** An alerting whose one rule keeps what it was given: what the rules see. */
function watchedAlerting(): { alerting: PerformanceAlerting; seen: () => Array<{ path: string; statusCode: number; error?: string }> } {
  let seen: Array<{ path: string; statusCode: number; error?: string }> = [];
  const alerting = new PerformanceAlerting({
    sampleProcess: false,
    channels: [],
    rules: [{ id: 'look', name: 'Look', enabled: true, metric: 'custom', condition: 'gt', threshold: 0, severity: 'info', customEvaluator: (metrics) => ((seen = [...metrics]), false) }],
  });
  return { alerting, seen: () => seen };
}

test('a handler that answers, or throws, after its client left: a 499 and no error in the monitor, the tracer and alerting, as under the preload (a review: 200, and a 500 error span)', async () => {
  const monitor = new PerformanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
  const tracer = new RequestTracer({ sampleRate: 1 });
  const { alerting, seen } = watchedAlerting();
  const late = (fail: boolean) => async (): Promise<Response> => {
    await Bun.sleep(200);
    if (fail) throw new Error('too late');
    return new Response('late');
  };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => monitor.handle(req, () => alerting.handle(req, () => tracer.handle(req, late(new URL(req.url).pathname === '/fail')))),
  });
  try {
    for (const path of ['/slow', '/fail']) {
      await fetch(`http://127.0.0.1:${server.port}${path}`, { signal: AbortSignal.timeout(50) }).catch(() => {});
    }
    await Bun.sleep(500);
    // Answered while its client waits: as it was.
    await fetch(`http://127.0.0.1:${server.port}/kept`).then((r) => r.text());
    expect(monitor.getMetrics().map((m) => [m.path, m.statusCode, m.error])).toEqual([['/slow', 499, undefined], ['/fail', 499, undefined], ['/kept', 200, undefined]]);
    const spans = tracer.getRecentSpans().filter((span) => span.kind === 'server');
    expect(spans.map((span) => [span.tags['http.route'] ?? span.name, span.tags['http.status_code'], span.status])).toEqual([
      [expect.stringContaining('/slow'), 499, 'unset'],
      [expect.stringContaining('/fail'), 499, 'unset'],
      [expect.stringContaining('/kept'), 200, 'unset'],
    ]);
    await alerting.flush();
    // Was: the answer no one got, a 200.
    expect(seen().map((m) => [m.path, m.statusCode, m.error])).toEqual([['/slow', 499, undefined], ['/fail', 499, undefined], ['/kept', 200, undefined]]);
  } finally {
    alerting.close();
    server.stop(true);
    await tracer.close();
    await monitor.close();
  }
});

test('the in-process dashboard\'s own requests are not the app\'s for alerting either (its refreshes had fed the rules)', async () => {
  const monitor = new PerformanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
  const { alerting, seen } = watchedAlerting();
  const dashboard = new PerformanceDashboard({ path: '/performance', monitor, alerting });
  const handler = compose([monitor, alerting, dashboard], () => new Response('user'));
  for (let i = 0; i < 3; i++) expect((await handler(new Request('http://app.test/performance/fragments/summary'))).status).toBe(200);
  expect((await handler(new Request('http://app.test/users/1'))).status).toBe(200);
  await alerting.flush();
  alerting.close();
  expect(seen().map((m) => m.path)).toEqual(['/users/1']);
  expect(monitor.getAggregatedMetrics().count).toBe(1);
  await monitor.close();
});
