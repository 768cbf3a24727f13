// What the explicit API counts for answers that are not a Response, on a real Bun server: each part
// (monitor, alerting, tracer) counts what the client got. A WebSocket upgrade had been a 500 error to
// the alerting and the tracer (an app serving WebSockets was paged for them), and the app's mistake
// of answering nothing a 500 where Bun sends 204.
import { afterEach, expect, test } from 'bun:test';
import { instrument, performanceAlerting, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Opens a WebSocket to `url` and waits until the server has closed it. */
function upgradeOnce(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onclose = () => resolve();
    socket.onerror = () => reject(new Error('the upgrade failed'));
  });
}

test('a WebSocket upgrade is a 101 and a missing answer what Bun sends, to the monitor, the alerting and the tracer alike', async () => {
  const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
  const alerting = performanceAlerting({ evaluationDelay: 0, evaluationInterval: 1000, rules: [{ id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gte', threshold: 0.5, severity: 'critical' }] });
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(() => monitor.close(), () => alerting.close(), () => tracer.close());
  const server = Bun.serve({
    port: 0, hostname: '127.0.0.1', development: false,
    fetch: instrument((req, srv: Bun.Server<undefined>) => {
      const path = new URL(req.url).pathname;
      if (path === '/ws') return srv.upgrade(req) ? (undefined as unknown as Response) : new Response('no upgrade', { status: 400 });
      if (path === '/nothing') return undefined as unknown as Response;
      return new Response('failed', { status: 500 });
    }, monitor, alerting, tracer),
    websocket: { open: (ws) => ws.close(), message() {} },
  });
  closers.push(() => server.stop(true));
  const base = `127.0.0.1:${server.port}`;
  for (let i = 0; i < 5; i++) await upgradeOnce(`ws://${base}/ws`);
  await alerting.flush();
  expect(alerting.getActiveAlerts()).toEqual([]);

  const nothing = await fetch(`http://${base}/nothing`);
  expect(nothing.status).toBe(204); // Bun's answer (1.4.5) to a handler that answered nothing, outside development
  for (let i = 0; i < 4; i++) expect((await fetch(`http://${base}/fail`)).status).toBe(500);
  await alerting.flush();
  await tracer.flush();

  const codes = monitor.getMetrics().map((m) => m.statusCode).sort();
  expect(codes).toEqual([101, 101, 101, 101, 101, 204, 500, 500, 500, 500]);
  const spans = tracer.getRecentSpans().filter((s) => s.kind === 'server');
  expect(spans.map((s) => [s.tags['http.status_code'], s.status]).sort()).toEqual([
    [101, 'unset'], [101, 'unset'], [101, 'unset'], [101, 'unset'], [101, 'unset'], [204, 'error'], [500, 'error'], [500, 'error'], [500, 'error'], [500, 'error'],
  ]);
  // The app's mistake counts as an error too (as the preload counts it): 5 of 10 requests, reached
  // with the last one (evaluations run between requests: upgrades counted as errors would have fired
  // it at once). An evaluation that ran while the last requests were recorded may have missed them:
  // the interval's next one (every second) has them all.
  const alert = await waitFor(() => alerting.getActiveAlerts()[0], 5_000);
  expect(alert?.value).toBe(0.5);
}, 20_000);
