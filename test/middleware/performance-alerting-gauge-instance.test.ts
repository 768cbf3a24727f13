// The in-process PerformanceAlerting path of a gauge alert: its value is this process's RSS, and,
// the process being the only instance, no instance is named in the webhook JSON, Slack's text or the
// dashboard's row (a review saw a made-up "local" named in all three).
import { afterEach, expect, test } from 'bun:test';
import { alertViews } from '../../src/core/dashboard/alert-views.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { PerformanceAlerting } from '../../src/middleware/performance-alerting.ts';
import { AlertsPanel } from '../../src/views/alerts-panel.tsx';
import { startHttpReceiver, waitFor, type HttpReceiver } from './alerting/receivers.ts';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

test("a memory alert from the app's own process names its instance in the webhook, Slack and the dashboard row", async () => {
  const receiver: HttpReceiver = startHttpReceiver();
  stops.push(receiver.stop);
  const on = new PerformanceAlerting({
    app: 'shop', evaluationInterval: 100, log: () => {},
    rules: [{ id: 'memory', name: 'Memory high', enabled: true, metric: 'memoryUsage', condition: 'gt', threshold: 1024 * 1024, severity: 'warning' }],
    channels: [
      { type: 'webhook', enabled: true, config: { url: `${receiver.url}/hook` } },
      { type: 'slack', enabled: true, config: { url: `${receiver.url}/slack` } },
    ],
  });
  stops.push(() => on.close());
  await waitFor(() => receiver.received.some((r) => r.path === '/hook') && receiver.received.some((r) => r.path === '/slack'), 5000, 'the deliveries');
  await on.flush();
  const hook = JSON.parse(receiver.received.find((r) => r.path === '/hook')!.body) as { instance: string | null; value: number; message: string };
  // In-process there is one instance, the app's own process: none is named (a made-up "local" had been).
  expect(hook.instance).toBeNull();
  expect(hook.value).toBeGreaterThan(1024 * 1024);
  expect(hook.value).toBeLessThan(process.memoryUsage.rss() * 2);
  expect(hook.message).toStartWith('Memory high: memory (RSS) is ');
  expect(receiver.received.find((r) => r.path === '/slack')!.body).toContain('memory (RSS) is ');
  const html = String(AlertsPanel({ ctx: CTX, alerts: alertViews(on.getActiveAlerts(), on.getAllNotifications()) }));
  expect(html).toContain('<span class="message">memory (RSS) is ');
  expect(html).toMatch(/<span class="value">value [\d.]+ (MiB|GiB) \/ threshold &gt; 1 MiB<\/span>/);
});
