// The in-process Deliverer's failure log stays bounded (found by a review: a redirect's origin was
// part of what made a failure "new", so a receiver rotating its Location got a line per failure
// and grew the map of what had been logged without limit).
import { afterEach, expect, test } from 'bun:test';
import type { AlertNotification } from '../../../src/core/alerts/notification.ts';
import { Deliverer } from '../../../src/middleware/alerting/deliver.ts';
import { PerformanceAlerting } from '../../../src/middleware/performance-alerting.ts';
import { createLog } from '../../../src/plugin/runtime/log.ts';

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A real notification, as PerformanceAlerting makes one. */
async function notification(): Promise<AlertNotification> {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  const alerting = new PerformanceAlerting({
    app: 'shop', now: () => now, sampleProcess: false, log: () => {},
    rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
  });
  for (let i = 0; i < 20; i++) alerting.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'GET', path: '/checkout', statusCode: 200, responseTime: 900 });
  await alerting.flush();
  alerting.close();
  return alerting.getAllNotifications()[0]!;
}

function deliverer() {
  const logs: string[] = [];
  const deliverer = new Deliverer({ log: createLog(false, (line) => logs.push(line)), now: () => Date.UTC(2026, 10, 26, 12, 1, 0), env: {} }, { attempts: 1, backoffMs: 0, timeoutMs: 2000 });
  return { deliverer, logs, warned: (deliverer as unknown as { warned: Map<string, number> }).warned };
}

test('a receiver rotating its redirect is one failure: logged once, naming the first origin, remembered once', async () => {
  let n = 0;
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null, { status: 302, headers: { location: `https://r${n++}.example/next?k=SECRET` } }) });
  stops.push(() => server.stop(true));
  const { deliverer: d, logs, warned } = deliverer();
  const alert = await notification();
  for (let i = 0; i < 5; i++) await d.deliver({ type: 'webhook', enabled: true, config: { url: `http://127.0.0.1:${server.port}/hook` } }, 'webhook channel #0', alert);
  expect(n).toBe(5);
  expect(logs).toEqual(['bun-apm: alerting: webhook channel #0 could not deliver a notification (HTTP 302 to https://r0.example (redirects are not followed)); the same failure is not logged again for an hour']);
  expect(warned.size).toBe(1);
});

test('what has been logged is bounded however many channels fail', async () => {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null, { status: 500 }) });
  stops.push(() => server.stop(true));
  const { deliverer: d, logs, warned } = deliverer();
  const alert = await notification();
  const channel = { type: 'webhook' as const, enabled: true, config: { url: `http://127.0.0.1:${server.port}/hook` } };
  for (let i = 0; i < 300; i++) await d.deliver(channel, `webhook channel #${i}`, alert);
  expect(logs).toHaveLength(300);
  expect(warned.size).toBeLessThanOrEqual(256);
  expect(warned.has('webhook channel #299\nHTTP 500')).toBe(true);
});
