// Alerting in the real Workers runtime: rules from ALERT_RULES evaluated on the cron over ingested
// rollups, notifications through the outbox to real local receivers (Slack, a signed webhook) and
// the send_email binding, once per transition, with channel filters, retries and manual resolve.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { CaptureLog, MINUTE, cron, cronFirst, ingestMinute, startReceiver } from './support.ts';
import { minuteAgo } from '../support/minutes.ts';

const TOKEN = 'webhook-token-0123456789';
const receiver = startReceiver({ '/flaky': [500, 500] });
const log = new CaptureLog();
let edge: LocalEdge;
let flaky: LocalEdge;

const RULES = {
  shop: [
    { id: 'slow-p95', name: 'Slow p95', metric: 'p95', condition: 'gt', threshold: 500, severity: 'critical', duration: 60_000 },
    { id: 'slow-avg', name: 'Slow average', metric: 'responseTime', condition: 'gt', threshold: 300, severity: 'info', duration: 60_000 },
  ],
};

// M0: slow requests; M1: fast ones. At M1 the 1-minute window holds both (p95 slow) → firing; from M2 on only fast or none → resolved.
const M0 = minuteAgo(30);
const M1 = M0 + MINUTE;

beforeAll(async () => {
  [edge, flaky] = await Promise.all([
    startEdge({
      log,
      bindings: {
        BUN_APM_DEV: 'true',
        ALERT_RULES: JSON.stringify(RULES),
        SLACK_WEBHOOK_URL: receiver.url('/slack'),
        WEBHOOK_URL: receiver.url('/webhook'),
        WEBHOOK_TOKEN: TOKEN,
        PAGERDUTY_ROUTING_KEY: 'pd-routing-key-0123456789',
        PAGERDUTY_URL: receiver.url('/pagerduty'),
        ALERT_EMAIL_TO: 'oncall@example.com',
        ALERT_EMAIL_FROM: 'alerts@example.com',
        ALERT_CHANNEL_FILTERS: JSON.stringify({ slack: { severities: ['critical'] }, email: { rules: ['slow-p95'], states: ['firing'] }, pagerduty: { rules: ['slow-p95'] } }),
      },
    }),
    startEdge({
      bindings: {
        BUN_APM_DEV: 'true',
        // A 10-minute window: the alert keeps firing while the test ticks through the retries.
        ALERT_RULES: JSON.stringify([{ id: 'slow-p95', name: 'Slow p95', metric: 'p95', condition: 'gt', threshold: 500, severity: 'warning', duration: 600_000 }]),
        WEBHOOK_URL: receiver.url('/flaky'),
        WEBHOOK_TOKEN: TOKEN,
      },
    }),
  ]);
  await Promise.all([cronFirst(edge, M0 - MINUTE), cronFirst(flaky, M0 - MINUTE)]);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M1, 10);
  await ingestMinute(flaky, KEYS.shopIngest, 'shop', M0, 900);
});

afterAll(async () => {
  await edge?.dispose();
  await flaky?.dispose();
  receiver.stop();
});

const webhookStates = () => receiver.at('/webhook').map((r) => JSON.parse(r.body)).map((b) => `${b.ruleId}:${b.state}`);

describe('alerting at the edge', () => {
  test('a firing alert reaches Slack and the webhook once, signed; the same cron minute again sends nothing', async () => {
    await cron(edge, M1);
    await cron(edge, M1);
    const slack = receiver.at('/slack');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.body).toContain('Slow p95');
    expect(webhookStates().sort()).toEqual(['slow-avg:firing', 'slow-p95:firing']);

    for (const request of receiver.at('/webhook')) {
      expect(request.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
      const timestamp = request.headers.get('x-bun-apm-timestamp')!;
      // Signed when sent, so a receiver's replay window (300 s) accepts it.
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      const expected = createHmac('sha256', TOKEN).update(`${timestamp}.${request.body}`).digest('hex');
      expect(request.headers.get('x-bun-apm-signature')).toBe(`v1=${expected}`);
      const body = JSON.parse(request.body);
      expect(body.app).toBe('shop');
      expect(request.headers.get('x-bun-apm-delivery')).toBe(body.key);
    }
    const p95 = JSON.parse(receiver.at('/webhook').find((r) => JSON.parse(r.body).ruleId === 'slow-p95')!.body);
    expect(p95.value).toBeGreaterThan(500);
    expect(p95.threshold).toBe(500);
  });

  test('the alert is listed as active with a read key', async () => {
    const { status, body } = await api(edge, '/api/v1/apps/shop/alerts');
    expect(status).toBe(200);
    expect(body.active.map((a: any) => a.ruleId).sort()).toEqual(['slow-avg', 'slow-p95']);
    const fired = body.history.find((n: any) => n.ruleId === 'slow-p95');
    expect(fired.deliveries.map((d: any) => [d.channel, d.status])).toEqual([['email', 'sent'], ['pagerduty', 'sent'], ['slack', 'sent'], ['webhook', 'sent']]);
    // Channel destinations are secrets: nowhere in the API.
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  test('recovery after a missed minute: exactly one resolved notification per rule and channel', async () => {
    await cron(edge, M1 + 2 * MINUTE); // M1 + 1 minute never came
    await cron(edge, M1 + 3 * MINUTE);
    await cron(edge, M1 + 2 * MINUTE); // late duplicate of an evaluated minute
    expect(receiver.at('/slack')).toHaveLength(2);
    expect(JSON.parse(receiver.at('/slack')[1]!.body).text ?? receiver.at('/slack')[1]!.body).toContain('RESOLVED');
    expect(webhookStates().sort()).toEqual(['slow-avg:firing', 'slow-avg:resolved', 'slow-p95:firing', 'slow-p95:resolved']);
    const { body } = await api(edge, '/api/v1/apps/shop/alerts');
    expect(body.active).toEqual([]);
    // PagerDuty: trigger then resolve, one dedup key (the alert id), only for the rule its filter names.
    const events = receiver.at('/pagerduty').map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(new Set(events.map((e) => e.dedup_key)).size).toBe(1);
    expect(events[0].dedup_key).toStartWith('slow-p95');
    expect(events[0].routing_key).toBe('pd-routing-key-0123456789');
    expect(JSON.stringify(body)).not.toContain('pd-routing-key');
  });

  test('email: one message for the rule and state its filter accepts, captured from the send_email binding', async () => {
    const files = log.emailFiles();
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await readFile(files[0]!));
    expect(mail.subject).toContain('FIRING');
    expect(mail.subject).toContain('Slow p95');
    expect(mail.from?.text).toBe('alerts@example.com');
    expect((mail.to as { text: string }).text).toBe('oncall@example.com');
    expect(mail.text).toContain('Slow p95');
    expect(mail.html).toContain('<table');
    expect(mail.headers.get('x-bun-apm-delivery')).toContain('slow-p95');
  });

  test('a webhook answering 500 twice gets the notification on the third tick, once; then a manual resolve reaches it', async () => {
    const T = M0 + MINUTE;
    await cron(flaky, T);
    expect(receiver.at('/flaky')).toHaveLength(1);
    await cron(flaky, T + MINUTE);
    expect(receiver.at('/flaky')).toHaveLength(2);
    await cron(flaky, T + 2 * MINUTE);
    await cron(flaky, T + 3 * MINUTE);
    await cron(flaky, T + 3 * MINUTE);
    const attempts = receiver.at('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers.get('x-bun-apm-delivery'))).size).toBe(1);
    expect(attempts.map((r) => JSON.parse(r.body).state)).toEqual(['firing', 'firing', 'firing']);

    const { body } = await api(flaky, '/api/v1/apps/shop/alerts');
    expect(body.history[0].deliveries).toEqual([{ channel: 'webhook', status: 'sent', attempts: 3, lastError: null }]);
    const id = body.active[0].id as string;

    const path = `/api/v1/apps/shop/alerts/${encodeURIComponent(id)}/resolve`;
    const asReader = await fetch(new URL(path, flaky.url), { method: 'POST', keepalive: false, headers: { 'x-api-key': KEYS.shopRead } });
    expect(asReader.status).toBe(403);
    const missing = await fetch(new URL('/api/v1/apps/shop/alerts/nope-1/resolve', flaky.url), { method: 'POST', keepalive: false, headers: { 'x-api-key': KEYS.admin } });
    expect(missing.status).toBe(404);
    const resolved = await fetch(new URL(path, flaky.url), { method: 'POST', keepalive: false, headers: { 'x-api-key': KEYS.admin } });
    expect(resolved.status).toBe(200);
    expect((await resolved.json()).alert).toMatchObject({ id, state: 'resolved', resolvedBy: 'manual' });
    // Sent at once, and not again by the next ticks (the condition still holds: the rule stays quiet until it clears).
    await cron(flaky, T + 4 * MINUTE);
    await cron(flaky, T + 5 * MINUTE);
    expect(receiver.at('/flaky').map((r) => JSON.parse(r.body).state)).toEqual(['firing', 'firing', 'firing', 'resolved']);
    expect((await api(flaky, '/api/v1/apps/shop/alerts')).body.active).toEqual([]);
  });

  test('the dashboard\'s RPC: alerts() and resolveAlert(id, now)', async () => {
    const store = await flaky.store('shop');
    const view = await store.alerts();
    expect(view.active).toEqual([]);
    expect(view.history.map((n: any) => n.state)).toEqual(['resolved', 'firing']);
    expect(await store.resolveAlert('no-such-alert', Date.now())).toBeNull();
  });
});
