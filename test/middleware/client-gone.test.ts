// The explicit API counts a handler that failed because its client went away as the preload does:
// a 499 and no error, not a 500 (an errorRate rule had read cut uploads and abandoned long polls as
// the app's failures; the monitor had counted the 499 as an error).
import { expect, test } from 'bun:test';
import { PerformanceAlerting, PerformanceMonitor } from '../../src/middleware/index.ts';

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
