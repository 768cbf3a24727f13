// The dashboard's alert rows say what the channels say: metric, route or instance, and value and
// threshold in the metric's unit, from the notifications' own formatter. They had shown bare
// numbers ("value 2738041651 / threshold 1073741824", "value 0.2500 / threshold 0.05000").
import { expect, test } from 'bun:test';
import type { AlertData, AlertProfile } from '../../src/core/alerts/alert-data.ts';
import { evaluateRules } from '../../src/core/alerts/evaluate-rules.ts';
import type { AlertNotification } from '../../src/core/alerts/notification.ts';
import { slackMessage } from '../../src/core/alerts/payloads/slack.ts';
import { resolveRule, type AlertRule } from '../../src/core/alerts/rule.ts';
import { stepRule } from '../../src/core/alerts/step-rule.ts';
import { alertViews } from '../../src/core/dashboard/alert-views.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { AlertsPanel } from '../../src/views/alerts-panel.tsx';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const T = Date.UTC(2026, 10, 30, 12);
const MIN = 60_000;
const GiB = 1024 ** 3;

const fired = (rule: AlertRule, value: number): AlertNotification => stepRule(resolveRule(rule), undefined, { value, met: true }, T, { app: 'shop' }).notifications[0]!;

/** Two instances' RSS over the last 5 minutes: `leaky` averages `leakyMean` bytes. */
function memoryAlert(leaky: string, leakyMean: number): AlertNotification {
  const profiles: AlertProfile[] = [];
  for (let i = 0; i < 6; i++) {
    profiles.push({ timestamp: T - 4 * MIN + i * 30_000, instance: 'host-a:1', rss: 200 * 1024 * 1024 });
    profiles.push({ timestamp: T - 4 * MIN + i * 30_000, instance: leaky, rss: leakyMean + (i % 2 === 0 ? -1 : 1) * 10 * 1024 * 1024 });
  }
  const data: AlertData = { cells: [], profiles, samples: [], lastSeen: {} };
  const rule: AlertRule = { id: 'memory', name: 'Memory high', metric: 'memoryUsage', condition: 'gt', threshold: GiB, severity: 'warning', duration: 5 * MIN };
  return evaluateRules([rule], data, {}, T, { app: 'shop' }).notifications[0]!;
}

function rowsOf(notifications: AlertNotification[]): Record<string, string> {
  const html = String(AlertsPanel({ ctx: CTX, alerts: alertViews(notifications, []) }));
  const items = html.split('<li ').slice(1);
  return Object.fromEntries(items.map((li) => [/data-alert-id="([^"]+)"/.exec(li)![1]!, li]));
}

test('memory, error-rate and p95 rows show metric, route or instance, and value and threshold in their units', () => {
  const memory = memoryAlert('host-leaky:7', 2.55 * GiB);
  const errors = fired({ id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'critical', duration: 5 * MIN, route: '/err' }, 0.25);
  const p95 = fired({ id: 'p95', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 500, severity: 'warning', duration: 5 * MIN, route: '/users/:id', method: 'GET' }, 900);
  const rows = rowsOf([memory, errors, p95]);

  const row = (id: string) => rows[Object.keys(rows).find((key) => key.startsWith(`${id}-`))!]!;
  expect(row('memory')).toContain('<span class="message">memory (RSS) of instance host-leaky:7 is 2.55 GiB (&gt; 1 GiB, last 5 min)</span>');
  expect(row('memory')).toContain('<span class="value">value 2.55 GiB / threshold &gt; 1 GiB</span>');
  expect(row('errors')).toContain('<span class="message">error rate of /err is 25 % (&gt; 5 %, last 5 min)</span>');
  expect(row('errors')).toContain('<span class="value">value 25 % / threshold &gt; 5 %</span>');
  expect(row('p95')).toContain('<span class="message">p95 response time of GET /users/:id is 900 ms (&gt; 500 ms, last 5 min)</span>');
  expect(row('p95')).toContain('<span class="value">value 900 ms / threshold &gt; 500 ms</span>');
  for (const li of Object.values(rows)) expect(li).not.toMatch(/2738041651|1073741824|0\.2500|0\.05000/);
});

test("a row says what Slack's message says (the same text, one escaping each)", () => {
  const memory = memoryAlert('host-leaky:7', 2.55 * GiB);
  const slack = slackMessage(memory).blocks[1] as { text: { text: string } };
  const row = Object.values(rowsOf([memory]))[0]!;
  const shown = /<span class="message">([^<]*)<\/span>/.exec(row)![1]!;
  // Slack's section: icon, then the message (rule name first); the row shows the name apart.
  expect(slack.text.text).toEndWith(`Memory high: ${shown}`);
});

test('an instance or route from the outside is HTML-escaped in the row', () => {
  const hostile = '<img src=x onerror=alert(1)>"\'&';
  const rows = rowsOf([
    memoryAlert(hostile, 2 * GiB),
    fired({ id: 'errors', name: 'Errors <script>', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'critical', route: `/${hostile}` }, 0.5),
  ]);
  const html = Object.values(rows).join('');
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<script');
  expect(html).toContain('of instance &lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp; is 2 GiB');
  expect(html).toContain('error rate of /&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp; is 50 %');
});

test('a row without a metric (addAlert) still shows its numbers', () => {
  const html = String(AlertsPanel({ ctx: CTX, alerts: [{ id: 'm1', name: 'Manual', severity: 'warning', state: 'firing', value: 0.25, threshold: 0.05, startedAt: T }] }));
  expect(html).toContain('<span class="value">value 0.25 / threshold 0.05</span>');
});
