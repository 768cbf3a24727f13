// A gauge alert (memory, CPU, event-loop lag: evaluated per instance, the worst one counting) says
// which instance: the worst instance's id goes with its mean into the notification and every
// channel, escaped as each format escapes user-controlled text. Before, the value travelled alone
// ("memory (RSS) is 2.55 GiB", webhook `instance: null`) and nobody knew which host leaked.
import { describe, expect, test } from 'bun:test';
import type { AlertData, AlertProfile } from '../../../src/core/alerts/alert-data.ts';
import { activeAlert } from '../../../src/core/alerts/alert-engine.ts';
import { evaluateRules } from '../../../src/core/alerts/evaluate-rules.ts';
import { computeMetricValue } from '../../../src/core/alerts/metric-value.ts';
import { emailContent } from '../../../src/core/alerts/payloads/email.ts';
import { slackMessage } from '../../../src/core/alerts/payloads/slack.ts';
import { webhookBody } from '../../../src/core/alerts/payloads/webhook.ts';
import type { AlertRule } from '../../../src/core/alerts/rule.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const MIN = 60_000;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const NOW = T0 + 10 * MIN;

/** Ten profiles per instance in the last 5 minutes: rss, cpu and lag given per point. */
function profilesOf(instance: string | undefined, points: Array<{ rss: number; cpu: number; lag: number }>): AlertProfile[] {
  return points.map((p, i) => ({ timestamp: NOW - 4 * MIN + i * 20_000, ...(instance === undefined ? {} : { instance }), rss: p.rss, cpuPercent: p.cpu, eventLoopLagMs: p.lag }));
}

// host-a:1 is healthy on memory but busy on CPU; host-leaky:7 leaks memory and lags.
const HEALTHY = [300, 310, 320, 330].map((m, i) => ({ rss: m * MiB, cpu: 80 + i, lag: 4 + i }));
const LEAKY = [2.5, 2.53, 2.57, 2.6].map((g, i) => ({ rss: g * GiB, cpu: 20 + i, lag: 40 + 10 * i }));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const data = (profiles: AlertProfile[]): AlertData => ({ cells: [], profiles, samples: [], lastSeen: {} });
const TWO = data([...profilesOf('host-a:1', HEALTHY), ...profilesOf('host-leaky:7', LEAKY)]);

const memory: AlertRule = { id: 'memory', name: 'Memory high', metric: 'memoryUsage', condition: 'gt', threshold: GiB, severity: 'warning', duration: 5 * MIN };

describe('the worst instance travels with its mean', () => {
  test('computeMetricValue names the instance whose mean is the value, per metric', () => {
    const rss = computeMetricValue(memory, TWO, NOW);
    expect(rss).toEqual({ value: mean(LEAKY.map((p) => p.rss)), instance: 'host-leaky:7' });
    expect(computeMetricValue({ ...memory, metric: 'cpuUsage', threshold: 50 }, TWO, NOW)).toEqual({ value: mean(HEALTHY.map((p) => p.cpu)), instance: 'host-a:1' });
    expect(computeMetricValue({ ...memory, metric: 'eventLoopLag', threshold: 50 }, TWO, NOW)).toEqual({ value: mean(LEAKY.map((p) => p.lag)), instance: 'host-leaky:7' });
    // A rule on one instance reads that one.
    expect(computeMetricValue({ ...memory, instance: 'host-a:1' }, TWO, NOW)).toEqual({ value: mean(HEALTHY.map((p) => p.rss)), instance: 'host-a:1' });
    // Profiles sent without an instance name: a value, no name to give.
    expect(computeMetricValue(memory, data(profilesOf(undefined, LEAKY)), NOW)).toEqual({ value: mean(LEAKY.map((p) => p.rss)) });
  });

  test('the notification, its message and the active alert name the instance; the value is unchanged', () => {
    const { notifications, states } = evaluateRules([memory], TWO, {}, NOW, { app: 'shop' });
    const firing = notifications[0]!;
    expect(firing.value).toBe(mean(LEAKY.map((p) => p.rss)));
    expect(firing.instance).toBe('host-leaky:7');
    expect(firing.message).toBe('Memory high: memory (RSS) of instance host-leaky:7 is 2.55 GiB (> 1 GiB, last 5 min)');
    expect(activeAlert(memory, states.memory!, { app: 'shop' })!.instance).toBe('host-leaky:7');
    // Once the leaky one is gone the alert resolves, naming the instance its (now low) value is from.
    const later = NOW + 10 * MIN;
    const healthyOnly = data(profilesOf('host-a:1', HEALTHY).map((p) => ({ ...p, timestamp: p.timestamp + 10 * MIN })));
    const resolved = evaluateRules([memory], healthyOnly, states, later, { app: 'shop' }).notifications[0]!;
    expect(resolved.state).toBe('resolved');
    expect(resolved.instance).toBe('host-a:1');
    expect(resolved.message).toBe('Memory high: resolved, memory (RSS) of instance host-a:1 is 315 MiB (threshold > 1 GiB)');
  });

  test('a request-metric rule names no instance', () => {
    const p95: AlertRule = { id: 'p95', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 1, severity: 'info', duration: 5 * MIN };
    expect(computeMetricValue(p95, TWO, NOW)).toEqual({ value: null, requests: 0 });
  });
});

describe('every channel shows the instance, escaped for where it lands', () => {
  const HOSTILE = 'evil<!channel>&<b>x</b>\r\nBcc: victim@example.com';
  const hostileData = data([...profilesOf('host-a:1', HEALTHY), ...profilesOf(HOSTILE, LEAKY)]);
  const n = evaluateRules([memory], hostileData, {}, NOW, { app: 'shop' }).notifications[0]!;

  test('webhook JSON: `instance` is the instance id, as given', () => {
    const body = webhookBody(n);
    expect(body.instance).toBe(HOSTILE);
    expect(body.value).toBe(mean(LEAKY.map((p) => p.rss)));
    expect(JSON.parse(JSON.stringify(body)).instance).toBe(HOSTILE);
  });

  test('Slack: the instance in the text and the Metric field, with & < > escaped', () => {
    const message = slackMessage(n);
    const escaped = 'evil&lt;!channel&gt;&amp;&lt;b&gt;x&lt;/b&gt;';
    expect(message.text).toContain(`memory (RSS) of instance ${escaped}`);
    expect(message.text).toContain('is 2.55 GiB (&gt; 1 GiB, last 5 min)');
    const section = message.blocks[2] as { fields: Array<{ text: string }> };
    expect(section.fields.find((f) => f.text.startsWith('*Metric*'))!.text).toContain(`memory (RSS) of instance ${escaped}`);
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });

  test('email: the subject names the instance on one line; the bodies carry it, HTML-escaped', () => {
    const mail = emailContent(n);
    expect(mail.subject).toBe('[FIRING] [warning] Memory high (shop) on instance evil<!channel>&<b>x</b> Bcc: victim@example.com');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text.split('\n')[0]).toBe('Memory high: memory (RSS) of instance evil<!channel>&<b>x</b> Bcc: victim@example.com is 2.55 GiB (> 1 GiB, last 5 min)');
    expect(mail.html).toContain('memory (RSS) of instance evil&lt;!channel&gt;&amp;&lt;b&gt;x&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>x</b>');
  });
});
