import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { channelAccepts, channelDestinationMissing, validateChannel, type AlertChannel } from '../../../src/core/alerts/channel.ts';
import { channelsFromEnv } from '../../../src/core/alerts/channels-from-env.ts';
import { buildNotification, type AlertNotification } from '../../../src/core/alerts/notification.ts';
import { emailContent } from '../../../src/core/alerts/payloads/email.ts';
import { pagerDutyEvent, type PagerDutyTrigger } from '../../../src/core/alerts/payloads/pagerduty.ts';
import { slackCode } from '../../../src/core/alerts/payloads/escape.ts';
import { slackMessage } from '../../../src/core/alerts/payloads/slack.ts';
import {
  WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, verifyWebhookSignature, webhookRequest,
} from '../../../src/core/alerts/payloads/webhook.ts';
import { resolveRule, type AlertRule } from '../../../src/core/alerts/rule.ts';
import { stepRule } from '../../../src/core/alerts/step-rule.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOSTILE = 'Checkout <!channel> & <script>alert(1)</script>\r\nBcc: victim@example.com';

function notifications(rule: AlertRule, app = 'shop'): { firing: AlertNotification; resolved: AlertNotification } {
  const resolved = resolveRule(rule);
  const fire = stepRule(resolved, undefined, { value: 2345, met: true }, T0, { app });
  const clear = stepRule(resolved, fire.state, { value: 120, met: false }, T0 + 180_000, { app });
  return { firing: fire.notifications[0]!, resolved: clear.notifications[0]! };
}

const rule: AlertRule = { id: 'slow-checkout', name: 'Slow checkout', metric: 'p95', condition: 'gt', threshold: 2000, duration: 300_000, severity: 'critical', route: '/checkout', method: 'POST' };
const { firing, resolved } = notifications(rule);
const hostile = notifications({ ...rule, name: HOSTILE, description: '<img src=x onerror=alert(1)>' }, '<b>shop</b>').firing;

describe('Slack Block Kit message', () => {
  test('names the rule, value, threshold, app and severity, and links to the dashboard', () => {
    const message = slackMessage(firing, { dashboardUrl: 'https://apm.example/performance?app=shop', channel: '#alerts' });
    expect(message.channel).toBe('#alerts');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'FIRING: Slow checkout (shop)' } });
    const section = message.blocks[2] as { fields: Array<{ text: string }> };
    const fields = Object.fromEntries(section.fields.map((f) => f.text.split('\n') as [string, string]));
    expect(fields).toMatchObject({ '*App*': '`shop`', '*Severity*': 'critical', '*Value*': '2345 ms', '*Threshold*': '&gt; 2000 ms', '*Window*': '5 min', '*State*': 'firing' });
    expect(fields['*Metric*']).toBe('p95 response time of POST /checkout');
    expect(message.blocks.at(-1)).toEqual({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open dashboard' }, url: 'https://apm.example/performance?app=shop', style: 'danger' }],
    });
    expect(message.text).toBe('FIRING: Slow checkout (shop): Slow checkout: p95 response time of POST /checkout is 2345 ms (&gt; 2000 ms, last 5 min)');
  });

  test('a rule named with emoji sequences or Persian keeps them in the header and subject; bidirectional and zero-width characters do not stay', () => {
    // ⚠️ (U+FE0F), 👩‍💻 (U+200D), می‌خواهم (U+200C): a review saw U+FFFD where the selector and joiners were.
    const name = '\u26a0\ufe0f Checkout \u{1f469}\u200d\u{1f4bb} \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645';
    const named = notifications({ ...rule, name: `${name}\u202e\u200b` }).firing;
    expect((slackMessage(named).blocks[0] as { text: { text: string } }).text.text).toBe(`FIRING: ${name}\ufffd\ufffd (shop)`);
    expect(emailContent(named).subject).toContain(`${name}\ufffd\ufffd`);
  });

  test('the resolved message says so and carries when', () => {
    const message = slackMessage(resolved);
    expect((message.blocks[0] as { text: { text: string } }).text.text).toBe('RESOLVED: Slow checkout (shop)');
    expect(JSON.stringify(message)).toContain('2026-11-26 12:03:00 UTC');
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  test('escapes what Slack would parse (mentions, links) in every mrkdwn text, and drops non-http links', () => {
    const message = slackMessage(hostile, { dashboardUrl: 'javascript:alert(1)' });
    for (const block of message.blocks) {
      const texts = 'fields' in block && block.fields ? block.fields : 'text' in block && block.text?.type === 'mrkdwn' ? [block.text] : 'elements' in block ? block.elements.filter((e) => 'type' in e && e.type === 'mrkdwn') : [];
      for (const t of texts as Array<{ text: string }>) expect(t.text).not.toMatch(/<|>/);
    }
    expect(message.text).toContain('&lt;!channel&gt; &amp; &lt;script&gt;');
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect((message.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(150);
  });
});

test('Slack shows user text as typed: no bold, italics, strike, code or links made of a rule name, description, route or app', () => {
  const n = notifications({ ...rule, name: '*urgent* _now_ ~x~ `rm`', route: '/a_b_c/*path', description: 'Call *ops*: see https://evil.example/x?t=1 or evil.example' }, 'shop_eu').firing;
  const message = slackMessage(n);
  const texts = [message.text, ...message.blocks.flatMap((b) => ('fields' in b && b.fields ? b.fields : 'text' in b && b.text?.type === 'mrkdwn' ? [b.text] : 'elements' in b ? b.elements.filter((e) => 'type' in e && e.type === 'mrkdwn') : []) as Array<{ text: string }>).map((t) => t.text)];
  for (const text of texts) {
    // Each mark has a zero-width space on each side (our own *Label*, :icon: and `id` or `app` code spans aside); no URL or domain stays whole.
    expect(text.replace(/^\*[A-Z][a-z]+\*\n|^:[a-z_]+: /, '').replace(/`[^`\u200b]+`/g, '')).not.toMatch(/[^\u200b][*_~`]|[*_~`][^\u200b]/);
    expect(text).not.toMatch(/https:\/\/|evil\.example/);
  }
  // Readable: without the zero-width spaces it is the text as typed.
  expect(message.text.replaceAll('\u200b', '')).toContain('*urgent* _now_ ~x~ `rm`');
  expect((message.blocks.find((b) => b.type === 'context') as { elements: Array<{ text: string }> }).elements[0]!.text.replaceAll('\u200b', '')).toBe('Call *ops*: see https://evil.example/x?t=1 or evil.example');
  // The header is plain text: nothing to neutralise.
  expect((message.blocks[0] as { text: { text: string } }).text.text).toBe('FIRING: *urgent* _now_ ~x~ `rm` (shop_eu)');
});

test('Slack shows rule ids, alert ids and app names as code, as they are: copied, they resolve the alert (a zero-width space in them did not)', async () => {
  const n = notifications({ ...rule, id: 'high_err.rate-v2', name: 'Errors *high*' }, 'shop.example').firing;
  const message = slackMessage(n);
  const all = JSON.stringify(message);
  expect(all).toContain('`shop.example`');
  expect(all).toContain('`high_err.rate-v2`');
  expect(all).toContain(`\`${n.id}\``);
  const context = message.blocks.filter((b) => b.type === 'context').flatMap((b) => (b as { elements: Array<{ text: string }> }).elements.map((e) => e.text));
  expect(context.at(-1)).toBe(`Alert \`${n.id}\` · bun-apm`);
  const fields = Object.fromEntries((message.blocks[2] as { fields: Array<{ text: string }> }).fields.map((f) => f.text.split('\n') as [string, string]));
  expect(fields['*App*']).toBe('`shop.example`');
  expect(fields['*Rule*']).toBe('Errors \u200b*\u200bhigh\u200b*\u200b (`high_err.rate-v2`)');
  // Numbers and units as they are; a code span cannot be ended early nor carry a mention.
  expect(fields['*Value*']).not.toContain('\u200b');
  expect(slackCode('a`b<!here>&')).toBe('`a\u02cbb&lt;!here&gt;&amp;`');
  // A line break would end the span, and what follows be read as mrkdwn (a review of the first version).
  expect(slackCode('x\n*bold*\r\n\u2028end')).toBe('`x *bold* end`');
  // Other payloads are untouched.
  expect((await webhookRequest(n, { now: T0 })).body).not.toContain('\u200b');
});

test('a name from the data (an instance, a route) is one line in Slack and email, its bidirectional controls shown as U+FFFD', () => {
  // A review sent profiles from an instance named like this: Slack showed a forged "Bcc:" line and
  // the file name reversed. The edge now replaces such characters at ingest; the channels hold anyway.
  const instance = 'web-1\r\nBcc: victim@evil.example \u202egnp.exe\u202c';
  const gauge = resolveRule({ id: 'mem', name: 'Memory', metric: 'memoryUsage', condition: 'gt', threshold: 1000, severity: 'warning' });
  const n = stepRule(gauge, undefined, { value: 2000, met: true, instance }, T0, { app: 'shop' }).notifications[0]!;
  expect(n.instance).toBe(instance);
  const message = slackMessage(n);
  const mrkdwn = [message.text, ...message.blocks.flatMap((b) => ('fields' in b && b.fields ? b.fields.map((f) => f.text.split('\n')[1]!) : 'text' in b && b.text ? [b.text.text] : []))];
  for (const text of mrkdwn) {
    expect(text).not.toMatch(/[\r\u202e\u202c]/);
    expect(text).not.toMatch(/\nBcc/);
  }
  // (Less the zero-width spaces that keep `evil.example` from being a link.)
  expect(message.text.replaceAll('\u200b', '')).toContain('of instance web-1 Bcc: victim@evil.example \ufffdgnp.exe\ufffd is');
  const mail = emailContent(n);
  for (const text of [mail.subject, mail.text, mail.html]) {
    expect(text).not.toMatch(/[\r\u202e\u202c]/);
    expect(text.split('\n').filter((line) => line.startsWith('Bcc:'))).toEqual([]);
  }
  expect(mail.subject).toBe('[FIRING] [warning] Memory (shop) on instance web-1 Bcc: victim@evil.example \ufffdgnp.exe\ufffd');
});

test('a value just past its threshold never reads as the threshold (500.4 ms over 500 ms read "500 ms (> 500 ms)")', () => {
  for (const [metric, threshold, value, shown] of [
    ['p95', 500, 500.4, '500.4 ms'], ['p95', 500, 500.04, '500.04 ms'], ['p95', 500, 812.3, '812 ms'],
    ['errorRate', 0.05, 0.05004, '5.004 %'], ['requestRate', 0.8, 0.7996, '0.7996 req/s'],
  ] as const) {
    const resolved = resolveRule({ id: 'r', name: 'R', metric, condition: metric === 'requestRate' ? 'lt' : 'gt', threshold, severity: 'warning' });
    const n = stepRule(resolved, undefined, { value, met: true }, T0, { app: 'shop' }).notifications[0]!;
    expect(n.message).toContain(` is ${shown} (`);
    expect((pagerDutyEvent(n, 'k'.repeat(32), {}) as PagerDutyTrigger).payload.custom_details.value).toBe(shown);
  }
});

describe('webhook', () => {
  test('the body names the app, rule, severity, state, value, threshold and times', async () => {
    const { body, headers } = await webhookRequest(firing, { token: 'tok', now: T0 + 1234, dashboardUrl: 'https://apm.example/performance' });
    expect(JSON.parse(body)).toEqual({
      version: 1, id: `slow-checkout-${T0}`, key: `slow-checkout-${T0}:firing:${T0}`, app: 'shop', ruleId: 'slow-checkout', ruleName: 'Slow checkout',
      severity: 'critical', state: 'firing', metric: 'p95', condition: 'gt', value: 2345, threshold: 2000, window: 300_000,
      route: '/checkout', method: 'POST', instance: null, message: firing.message, description: null,
      startsAt: T0, endsAt: null, timestamp: T0, repeat: false, resolvedBy: null, error: null, dashboardUrl: 'https://apm.example/performance',
    });
    expect(headers.authorization).toBe('Bearer tok');
    expect(headers[WEBHOOK_DELIVERY_HEADER]).toBe(firing.key);
    expect(JSON.parse((await webhookRequest(resolved, { now: T0 })).body)).toMatchObject({ state: 'resolved', endsAt: T0 + 180_000, value: 120, resolvedBy: 'condition' });
  });

  test('the signature is HMAC-SHA256 over "timestamp.body", checked with node:crypto', async () => {
    const { body, headers } = await webhookRequest(firing, { token: 'tok', secret: 's3cret', now: T0 + 1999 });
    const timestamp = headers[WEBHOOK_TIMESTAMP_HEADER]!;
    expect(timestamp).toBe(String(Math.floor((T0 + 1999) / 1000)));
    const expected = createHmac('sha256', 's3cret').update(`${timestamp}.${body}`).digest('hex');
    expect(headers[WEBHOOK_SIGNATURE_HEADER]).toBe(`v1=${expected}`);
    const byToken = await webhookRequest(firing, { token: 'tok', now: T0 });
    expect(byToken.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(`v1=${createHmac('sha256', 'tok').update(`${T0 / 1000}.${byToken.body}`).digest('hex')}`);
  });

  test('verifyWebhookSignature accepts the real thing and refuses tampering, wrong keys and replays', async () => {
    const { body, headers } = await webhookRequest(firing, { secret: 'k', now: T0 });
    const got = { timestamp: headers[WEBHOOK_TIMESTAMP_HEADER]!, signature: headers[WEBHOOK_SIGNATURE_HEADER]! };
    expect(await verifyWebhookSignature('k', got, body, T0 + 10_000)).toBe(true);
    expect(await verifyWebhookSignature('k', { ...got, signature: `v1=${'0'.repeat(64)}, ${got.signature}` }, body, T0)).toBe(true);
    expect(await verifyWebhookSignature('k', got, body.replace('2345', '2346'), T0)).toBe(false);
    expect(await verifyWebhookSignature('other', got, body, T0)).toBe(false);
    expect(await verifyWebhookSignature('k', got, body, T0 + 301_000)).toBe(false);
    expect(await verifyWebhookSignature('k', { ...got, timestamp: String(T0 / 1000 + 1) }, body, T0)).toBe(false);
    expect(await verifyWebhookSignature('k', { ...got, signature: 'sha256=abc' }, body, T0)).toBe(false);
    expect(await verifyWebhookSignature('k', { timestamp: null, signature: got.signature }, body, T0)).toBe(false);
  });

  test('without a token or secret the request is neither authorised nor signed', async () => {
    const { headers } = await webhookRequest(firing, { now: T0 });
    expect(headers.authorization).toBeUndefined();
    expect(headers[WEBHOOK_SIGNATURE_HEADER]).toBeUndefined();
  });
});

describe('email', () => {
  test('subject, plain text and HTML carry the facts', () => {
    const mail = emailContent(firing, { dashboardUrl: 'https://apm.example/performance?app=shop&x=1' });
    expect(mail.subject).toBe('[FIRING] [critical] Slow checkout (shop)');
    expect(mail.text).toContain('Value:     2345 ms');
    expect(mail.text).toContain('Threshold: > 2000 ms');
    expect(mail.text).toContain('Dashboard: https://apm.example/performance?app=shop&x=1');
    expect(mail.html).toContain('<th align="left" style="padding:2px 12px 2px 0">Threshold</th><td style="padding:2px 0">&gt; 2000 ms</td>');
    expect(mail.html).toContain('<a href="https://apm.example/performance?app=shop&amp;x=1">');
    expect(emailContent(resolved).subject).toBe('[RESOLVED] [critical] Slow checkout (shop)');
  });

  test('escapes every value in HTML and keeps the subject on one line', () => {
    const mail = emailContent(hostile, { dashboardUrl: 'javascript:alert(1)' });
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toStartWith('[FIRING] [critical] Checkout <!channel> & <script>');
    expect(mail.html).not.toContain('<script');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>shop');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).not.toContain('javascript:');
    // The only tags are the template's own.
    const tags = new Set([...mail.html.matchAll(/<\/?([a-z!]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['!doctype', 'body', 'html', 'p', 'table', 'td', 'th', 'tr']);
    // The plain text: a line break in the rule's name makes no line of its own (a forged "Bcc:" or fact).
    expect(mail.text.split('\n').filter((line) => line.startsWith('Bcc:'))).toEqual([]);
    expect(mail.text).toContain('</script> Bcc: victim@example.com');
  });
});

describe('PagerDuty Events v2', () => {
  test('firing triggers and resolved resolves, with the alert id as dedup key', () => {
    const trigger = pagerDutyEvent(firing, 'R0UTING', { dashboardUrl: 'https://apm.example/performance' });
    expect(trigger).toMatchObject({
      routing_key: 'R0UTING', event_action: 'trigger', dedup_key: `slow-checkout-${T0}`,
      payload: { source: 'shop', severity: 'critical', component: 'POST /checkout', group: 'shop', class: 'p95', timestamp: new Date(T0).toISOString() },
      links: [{ href: 'https://apm.example/performance', text: 'bun-apm dashboard' }],
    });
    expect(trigger!.event_action === 'trigger' && trigger!.payload.summary).toBe(`[shop] ${firing.message}`);
    expect(pagerDutyEvent(resolved, 'R0UTING')).toEqual({ routing_key: 'R0UTING', event_action: 'resolve', dedup_key: `slow-checkout-${T0}` });
  });

  test('rule errors are not paged', () => {
    const rule2 = resolveRule({ ...rule, id: 'x' });
    const error = buildNotification(rule2, { ruleId: 'x', status: 'error', value: null, threshold: 1, error: 'boom', errorSince: T0 }, 'error', T0, {});
    expect(pagerDutyEvent(error, 'k')).toBeNull();
  });
});

describe('every channel bounds free text, whatever made the notification', () => {
  // A notification stored before evaluators' results were clipped (review: one of 5 MB went whole into a webhook body).
  const huge = 'e'.repeat(5e6);
  const rule3 = resolveRule({ ...rule, id: 'huge' });
  const error = buildNotification(rule3, { ruleId: 'huge', status: 'error', value: null, threshold: 1, error: huge, errorSince: T0 }, 'error', T0, { app: 'shop' });
  const described = { ...firing, description: 'd'.repeat(5e6) };

  test('webhook: error at most 500 characters, message and description at most 1024', async () => {
    const body = JSON.parse((await webhookRequest(error, { now: T0 })).body);
    expect([body.error.length, body.message.length]).toEqual([500, 1024]);
    expect(body.error).toEndWith('e…');
    expect(JSON.parse((await webhookRequest(described, { now: T0 })).body).description).toHaveLength(1024);
  });

  test('email, Slack and PagerDuty stay small', () => {
    for (const n of [error, described]) {
      const mail = emailContent(n);
      expect([mail.text.length < 5000, mail.html.length < 10_000]).toEqual([true, true]);
      expect(JSON.stringify(slackMessage(n)).length).toBeLessThan(10_000);
    }
    const trigger = pagerDutyEvent(described, 'k') as PagerDutyTrigger;
    expect(trigger.payload.custom_details.description).toHaveLength(1024);
  });
});

describe('channel filters', () => {
  const slack = (filters?: AlertChannel['filters'], enabled?: boolean): AlertChannel => ({ type: 'slack', enabled, config: { url: 'https://hooks.example/x' }, filters });
  const rows: Array<[string, AlertChannel, boolean]> = [
    ['no filters', slack(), true],
    ['disabled', slack(undefined, false), false],
    ['severity listed', slack({ severities: ['warning', 'critical'] }), true],
    ['severity not listed', slack({ severities: ['info'] }), false],
    ['rule listed', slack({ rules: ['slow-checkout', 'other'] }), true],
    ['rule not listed', slack({ rules: ['high-error-rate'] }), false],
    ['both match', slack({ severities: ['critical'], rules: ['slow-checkout'] }), true],
    ['severity matches, rule does not', slack({ severities: ['critical'], rules: ['x'] }), false],
    ['state listed', slack({ states: ['firing'] }), true],
    ['state not listed', slack({ states: ['resolved'] }), false],
  ];
  for (const [name, channel, accepts] of rows) {
    test(`${name} → ${accepts ? 'sent' : 'skipped'}`, () => expect(channelAccepts(channel, firing)).toBe(accepts));
  }
});

describe('validateChannel', () => {
  test("accepts the spec's channels", () => {
    const channels: unknown[] = [
      { type: 'slack', enabled: true, config: { url: undefined, channel: '#alerts' }, filters: { severities: ['warning', 'critical'], rules: ['high-response-time'] } },
      { type: 'webhook', enabled: true, config: { url: 'https://your-webhook.com/alerts', token: 'your-webhook-token' } },
      { type: 'email', enabled: true, config: { email: 'alerts@yourcompany.com' }, filters: { severities: ['critical'] } },
      { type: 'email', config: { email: ['a@x.io', 'b@y.io'], from: 'apm@x.io', smtp: 'smtp://u:p@127.0.0.1:2525' } },
      { type: 'pagerduty', config: { routingKey: 'abc' } },
    ];
    for (const channel of channels) expect(validateChannel(channel)).toEqual([]);
  });

  const bad: Array<[unknown, string[]]> = [
    [{ type: 'sms', config: {} }, ['type']],
    [{ type: 'slack' }, ['config']],
    [{ type: 'slack', config: { url: 'hooks.slack.com/x' } }, ['config.url']],
    [{ type: 'webhook', config: { url: 'ftp://x/y', token: 5 } }, ['config.url', 'config.token']],
    [{ type: 'email', config: { email: 'not an address', smtp: 'http://mail' } }, ['config.smtp', 'config.email']],
    [{ type: 'email', config: { email: 'a@b.io', from: 'x\r\nBcc: y@z.io' } }, ['config.from']],
    [{ type: 'slack', enabled: 'true', config: {}, filters: { severities: ['urgent'], rule: ['x'] } }, ['enabled', 'filters.rule', 'filters.severities']],
  ];
  for (const [input, fields] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => expect(validateChannel(input).map((p) => p.field).sort()).toEqual([...fields].sort()));
  }

  test('a channel without its destination is named, so the host can warn instead of failing', () => {
    expect(channelDestinationMissing({ type: 'slack', config: { url: undefined } })).toBe('config.url');
    expect(channelDestinationMissing({ type: 'email', config: { email: ' , ' } })).toBe('config.email');
    expect(channelDestinationMissing({ type: 'pagerduty', config: {} })).toBe('config.routingKey');
    expect(channelDestinationMissing({ type: 'webhook', config: { url: 'https://x.io' } })).toBeUndefined();
  });
});

describe('channelsFromEnv', () => {
  test("turns the spec's variables into unfiltered, valid channels; unset or blank gives none", () => {
    const channels = channelsFromEnv({
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', WEBHOOK_URL: 'https://hooks.example/alerts', WEBHOOK_TOKEN: 't',
      ALERT_EMAIL_TO: 'oncall@example.com', ALERT_EMAIL_FROM: 'apm@example.com', PAGERDUTY_ROUTING_KEY: ' ',
    });
    expect(channels).toEqual([
      { type: 'slack', enabled: true, config: { url: 'https://hooks.slack.com/services/T/B/x' } },
      { type: 'webhook', enabled: true, config: { url: 'https://hooks.example/alerts', token: 't', secret: undefined } },
      { type: 'email', enabled: true, config: { email: 'oncall@example.com', from: 'apm@example.com' } },
    ]);
    for (const channel of channels) expect(validateChannel(channel)).toEqual([]);
    expect(channelsFromEnv({})).toEqual([]);
  });
});
