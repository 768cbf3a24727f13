// Deliveries from the app's process to real local receivers: Slack, a signed webhook, PagerDuty
// and SMTP; retries, filters, and failure logs that never carry a secret.
import { afterEach, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { PerformanceAlerting, type AlertChannel, type AlertingOptions } from '../../src/middleware/performance-alerting.ts';
import { startHttpReceiver, startSmtpReceiver, waitFor, type HttpReceiver, type SmtpReceiver } from './alerting/receivers.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function http(respond?: (n: number) => number | Promise<number>): HttpReceiver {
  const receiver = startHttpReceiver(respond);
  stops.push(receiver.stop);
  return receiver;
}

/** An alerting on an injected clock: `at(minute)` moves it; traffic is added at the current time. */
function alerting(channels: AlertChannel[], extra: Partial<AlertingOptions> = {}) {
  let now = T0;
  const logs: string[] = [];
  const instance = new PerformanceAlerting({
    app: 'shop', dashboardUrl: 'https://apm.example/performance?app=shop', channels, now: () => now, log: (line) => logs.push(line),
    delivery: { backoffMs: 20, timeoutMs: 2000 }, sampleProcess: false,
    rules: [{ id: 'slow', name: 'Slow <checkout>', enabled: true, metric: 'p95', route: '/checkout', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
    ...extra,
  });
  stops.push(() => instance.close());
  return {
    instance,
    logs,
    /** One minute of traffic at `ms`, then a flush (evaluation + deliveries). */
    async minute(m: number, ms: number) {
      now = T0 + m * 60_000;
      for (let i = 0; i < 20; i++) instance.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'POST', path: '/checkout', statusCode: 200, responseTime: ms });
      now += 1;
      await instance.flush();
    },
  };
}

describe('Slack and webhook', () => {
  test('one firing and one resolved message each; the webhook is authorised and signed', async () => {
    const slack = http();
    const hook = http();
    const a = alerting([
      { type: 'slack', enabled: true, config: { url: `${slack.url}/services/T/B/x` } },
      { type: 'webhook', enabled: true, config: { url: `${hook.url}/alerts`, token: 'hook-token', secret: 'hook-secret' } },
    ]);
    await a.minute(0, 900);
    await a.minute(1, 950);
    await a.minute(2, 40);
    await a.minute(3, 40);
    expect(slack.received.map((r) => JSON.parse(r.body).blocks[0].text.text)).toEqual(['FIRING: Slow <checkout> (shop)', 'RESOLVED: Slow <checkout> (shop)']);
    expect(slack.received[0]!.path).toBe('/services/T/B/x');
    const firing = JSON.parse(slack.received[0]!.body);
    expect(firing.text).toContain('Slow &lt;checkout&gt;');
    expect(firing.blocks.at(-1).elements[0].url).toBe('https://apm.example/performance?app=shop');

    expect(hook.received).toHaveLength(2);
    for (const request of hook.received) {
      expect(request.headers.get('authorization')).toBe('Bearer hook-token');
      expect(request.headers.get('content-type')).toBe('application/json');
      const timestamp = request.headers.get('x-bun-apm-timestamp')!;
      const expected = createHmac('sha256', 'hook-secret').update(`${timestamp}.${request.body}`).digest('hex');
      expect(request.headers.get('x-bun-apm-signature')).toBe(`v1=${expected}`);
      expect(request.headers.get('x-bun-apm-delivery')).toBe(JSON.parse(request.body).key);
    }
    const [fired, resolved] = hook.received.map((r) => JSON.parse(r.body));
    expect(fired).toMatchObject({ app: 'shop', ruleId: 'slow', ruleName: 'Slow <checkout>', severity: 'critical', state: 'firing', threshold: 500, route: '/checkout', startsAt: T0 + 1, endsAt: null });
    expect(Math.abs(fired.value - 900) / 900).toBeLessThan(0.01);
    expect(resolved).toMatchObject({ id: fired.id, state: 'resolved', value: 40, startsAt: T0 + 1, endsAt: T0 + 2 * 60_000 + 1 });
  });

  test('filters by severity and rule id are respected', async () => {
    const critical = http();
    const otherRule = http();
    const info = http();
    const a = alerting([
      { type: 'webhook', enabled: true, config: { url: critical.url }, filters: { severities: ['critical'], rules: ['slow'] } },
      { type: 'webhook', enabled: true, config: { url: otherRule.url }, filters: { rules: ['something-else'] } },
      { type: 'webhook', enabled: true, config: { url: info.url }, filters: { severities: ['info'] } },
      { type: 'webhook', enabled: false, config: { url: info.url } },
    ]);
    await a.minute(0, 900);
    expect([critical.received.length, otherRule.received.length, info.received.length]).toEqual([1, 0, 0]);
  });

  test('a receiver answering 500 twice gets the notification on the third attempt, once', async () => {
    const flaky = http((n) => (n < 2 ? 500 : 200));
    const a = alerting([{ type: 'webhook', enabled: true, config: { url: flaky.url } }]);
    await a.minute(0, 900);
    expect(flaky.received).toHaveLength(1);
    expect(a.logs).toEqual([]);
  });

  test('PagerDuty gets a trigger and a resolve with the same dedup key', async () => {
    const pd = http();
    const a = alerting([{ type: 'pagerduty', enabled: true, config: { routingKey: 'R0UT1NG', url: `${pd.url}/v2/enqueue` } }]);
    await a.minute(0, 900);
    await a.minute(1, 30);
    const [trigger, resolve] = pd.received.map((r) => JSON.parse(r.body));
    expect(trigger).toMatchObject({ routing_key: 'R0UT1NG', event_action: 'trigger', payload: { severity: 'critical', source: 'shop', component: '/checkout' } });
    expect(resolve).toEqual({ routing_key: 'R0UT1NG', event_action: 'resolve', dedup_key: trigger.dedup_key });
  });
});

test('a resolve waits while its firing is being retried: PagerDuty ends on resolve, not on the retried trigger', async () => {
  let attempts = 0;
  // The first attempt is answered 500 only once the resolve is queued, so the resolve always
  // meets a firing still to be retried (the retry's wait is jittered and can be short).
  let resolveQueued = () => {};
  const queued = new Promise<void>((resolve) => (resolveQueued = resolve));
  const pd = http(async (n) => {
    attempts = n + 1;
    if (n > 0) return 200;
    await queued;
    return 500;
  });
  let now = T0;
  const instance = new PerformanceAlerting({
    app: 'shop', now: () => now, log: () => {}, sampleProcess: false, evaluationDelay: 0, delivery: { backoffMs: 400, timeoutMs: 5_000 },
    channels: [{ type: 'pagerduty', enabled: true, config: { routingKey: 'R0UT1NG', url: `${pd.url}/v2/enqueue` } }],
    rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', route: '/checkout', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
  });
  stops.push(() => instance.close());
  const minute = (m: number, ms: number) => {
    now = T0 + m * 60_000;
    for (let i = 0; i < 20; i++) instance.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'POST', path: '/checkout', statusCode: 200, responseTime: ms });
    now += 1;
  };
  minute(0, 900); // firing (evaluationDelay 0): its first attempt is held, then fails
  await waitFor(() => attempts === 1, 10_000, 'the first attempt');
  minute(1, 30); // resolved, while the firing is still to be retried
  resolveQueued();
  await Bun.sleep(50);
  await instance.flush();
  // Delivered (the receiver keeps what it answered 200): the trigger on its retry, then the resolve.
  expect(pd.received.map((r) => (JSON.parse(r.body) as { event_action: string }).event_action)).toEqual(['trigger', 'resolve']);
  expect(attempts).toBe(3);
});

describe('failures', () => {
  test('are logged once an hour per channel and kind, never with the URL or the token, and never thrown', async () => {
    const broken = http(() => 500);
    const closed = http();
    const closedUrl = closed.url;
    await closed.stop();
    const a = alerting([
      { type: 'slack', enabled: true, config: { url: `${broken.url}/services/T0/B0/SLACKSECRET` } },
      { type: 'webhook', enabled: true, config: { url: `${closedUrl}/hook?key=URLSECRET`, token: 'TOKENSECRET' } },
      { type: 'slack', enabled: true, config: { url: undefined } },
    ]);
    await a.minute(0, 900);
    await a.minute(1, 30);
    expect(a.instance.getAllNotifications().map((n) => n.state)).toEqual(['firing', 'resolved']);
    expect(a.logs).toHaveLength(3);
    expect(a.logs[0]).toBe('bun-apm: alerting: slack channel #2 has no config.url; its notifications are skipped');
    expect(a.logs.slice(1).sort()).toEqual([
      'bun-apm: alerting: slack channel #0 could not deliver a notification (HTTP 500); the same failure is not logged again for an hour',
      expect.stringMatching(/^bun-apm: alerting: webhook channel #1 could not deliver a notification \(network error( \([A-Za-z_]+\))?\); the same failure is not logged again for an hour$/),
    ]);
    expect(a.logs.join('\n')).not.toMatch(/SECRET|127\.0\.0\.1/);
  });

  test('the same failure is logged again an hour later: an outage hours after the first still shows', async () => {
    const broken = http(() => 500);
    const a = alerting([{ type: 'slack', enabled: true, config: { url: `${broken.url}/services/T0/B0/x` } }], { delivery: { attempts: 1 } });
    const line = 'bun-apm: alerting: slack channel #0 could not deliver a notification (HTTP 500); the same failure is not logged again for an hour';
    await a.minute(0, 900);
    await a.minute(1, 30);
    expect(a.instance.getAllNotifications().map((n) => n.state)).toEqual(['firing', 'resolved']);
    expect(a.logs).toEqual([line]);
    await a.minute(58, 900);
    await a.minute(59, 30);
    expect(a.instance.getAllNotifications()).toHaveLength(4);
    expect(a.logs).toEqual([line]);
    // Past the hour, and hours later.
    await a.minute(61, 900);
    await a.minute(300, 30);
    expect(a.instance.getAllNotifications()).toHaveLength(6);
    expect(a.logs).toEqual([line, line, line]);
  });
});

describe('email over SMTP', () => {
  let smtp: SmtpReceiver;

  test('arrives at a real SMTP server with the right subject, text and escaped HTML', async () => {
    smtp = await startSmtpReceiver('apm@example.com', 'p@ss:word/1');
    stops.push(smtp.stop);
    const a = alerting([
      { type: 'email', enabled: true, config: { email: 'oncall@example.com, sre@example.com', from: 'apm@example.com', smtp: smtp.url }, filters: { severities: ['critical'] } },
    ]);
    await a.minute(0, 900);
    await waitFor(() => smtp.messages.length === 1, 5000, 'the email');
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('[FIRING] [critical] Slow <checkout> (shop)');
    expect(smtp.envelopes[0]).toEqual(['oncall@example.com', 'sre@example.com']);
    expect(mail.from?.text).toBe('apm@example.com');
    expect(mail.text).toContain('Threshold: > 500 ms');
    expect(mail.text).toContain('Dashboard: https://apm.example/performance?app=shop');
    expect(mail.text).toMatch(/Value: {5}(89\d|90\d) ms/);
    expect(mail.html).toContain('FIRING: Slow &lt;checkout&gt;');
    expect(mail.html).not.toContain('<checkout>');
    expect(mail.headers.get('x-bun-apm-delivery')).toBe(a.instance.getAllNotifications()[0]!.key);
  });

  test('wrong SMTP credentials: logged once, without the password, and the app goes on', async () => {
    smtp = await startSmtpReceiver('apm', 'right');
    stops.push(smtp.stop);
    const a = alerting([{ type: 'email', enabled: true, config: { email: 'oncall@example.com', smtp: smtp.url.replace(':right@', ':WRONGPASS@') } }]);
    await a.minute(0, 900);
    await a.minute(1, 30);
    expect(smtp.messages).toEqual([]);
    expect(a.logs).toEqual(['bun-apm: alerting: email channel #0 could not deliver a notification (EAUTH (SMTP 535)); the same failure is not logged again for an hour']);
  });

  test('one recipient of several refused (550): the others get it once, the refused one is named (a review: dropped without a word)', async () => {
    smtp = await startSmtpReceiver('apm', 'pw', (address) => address === 'typo@example.com');
    stops.push(smtp.stop);
    const a = alerting([{ type: 'email', enabled: true, config: { email: 'oncall@example.com, typo@example.com', smtp: smtp.url } }]);
    await a.minute(0, 900);
    await a.instance.flush();
    expect(smtp.envelopes).toEqual([['oncall@example.com']]);
    expect(a.logs).toEqual(['bun-apm: alerting: email channel #0 could not deliver a notification (EENVELOPE (SMTP 550): the server refused typo@example.com; the other recipients got it); the same failure is not logged again for an hour']);
  });

  test('no SMTP server listening: the log names the refused connection, not only nodemailer\'s ESOCKET', async () => {
    const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
    const port = probe.port;
    probe.stop(true);
    const a = alerting([{ type: 'email', enabled: true, config: { email: 'oncall@example.com', smtp: `smtp://apm:secret-pw@127.0.0.1:${port}` } }], { delivery: { attempts: 1, backoffMs: 20, timeoutMs: 2000 } });
    await a.minute(0, 900);
    expect(a.logs).toEqual(['bun-apm: alerting: email channel #0 could not deliver a notification (ESOCKET (ECONNREFUSED)); the same failure is not logged again for an hour']);
  });
});

describe('a receiver that asks to be retried later', () => {
  function limited(retryAfter: string): { url: string; hits: () => number } {
    let hits = 0;
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => (hits++ === 0 ? new Response('slow down', { status: 429, headers: { 'retry-after': retryAfter } }) : new Response('ok')) });
    stops.push(() => server.stop(true));
    return { url: `http://127.0.0.1:${server.port}`, hits: () => hits };
  }

  test('past what a notification is held (Retry-After: 3600): given up at once and said with the wait asked, flush() not held', async () => {
    const slack = limited('3600');
    const a = alerting([{ type: 'slack', enabled: true, config: { url: `${slack.url}/services/T/B/x` } }], { delivery: { attempts: 3, backoffMs: 20, timeoutMs: 2000 } });
    const from = performance.now();
    await a.minute(0, 900);
    // Was: the wait capped at 30 s and the receiver hit again, 3 times, flush() held 60 s.
    expect(performance.now() - from).toBeLessThan(5_000);
    expect(slack.hits()).toBe(1);
    expect(a.logs.filter((line) => line.includes('could not deliver'))).toEqual([
      'bun-apm: alerting: slack channel #0 could not deliver a notification (HTTP 429; it asked to be retried in 3600 s, longer than a notification is held, so it was given up); the same failure is not logged again for an hour',
    ]);
  });

  test('a Retry-After past a day is said as such, not as the day it is read up to', async () => {
    const slack = limited('9999999999');
    const a = alerting([{ type: 'slack', enabled: true, config: { url: `${slack.url}/services/T/B/x` } }], { delivery: { attempts: 3, backoffMs: 20, timeoutMs: 2000 } });
    await a.minute(0, 900);
    expect(slack.hits()).toBe(1);
    // Was "in 86400 s": the read cap, not the wait asked.
    expect(a.logs.filter((line) => line.includes('could not deliver'))).toEqual([
      'bun-apm: alerting: slack channel #0 could not deliver a notification (HTTP 429; it asked to be retried in over a day, longer than a notification is held, so it was given up); the same failure is not logged again for an hour',
    ]);
  });

  test('within it (Retry-After: 1): waited for, then delivered', async () => {
    const slack = limited('1');
    const a = alerting([{ type: 'slack', enabled: true, config: { url: `${slack.url}/services/T/B/x` } }], { delivery: { attempts: 3, backoffMs: 20, timeoutMs: 2000 } });
    const from = performance.now();
    await a.minute(0, 900);
    expect(performance.now() - from).toBeGreaterThan(900);
    expect(slack.hits()).toBe(2);
    expect(a.logs.filter((line) => line.includes('could not deliver'))).toEqual([]);
  });
});

test('a rule\'s notifications reach a channel in the order made: a resolve still being retried is not overtaken by the rule\'s next firing (a review: Slack ended on RESOLVED while the rule fired)', async () => {
  // The second message (the first alert's resolve) is answered 500 first, then after a wait.
  const slack = http(async (n) => (n === 1 ? 500 : n === 2 ? (await Bun.sleep(300), 200) : 200));
  let now = T0;
  const instance = new PerformanceAlerting({
    app: 'shop', channels: [{ type: 'slack', enabled: true, config: { url: `${slack.url}/services/T/B/x` } }], now: () => now, log: () => {},
    delivery: { backoffMs: 20, timeoutMs: 2000 }, sampleProcess: false, evaluationDelay: 0,
    rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
  });
  stops.push(() => instance.close());
  const minute = async (m: number, ms: number) => {
    now = T0 + m * 60_000;
    for (let i = 0; i < 20; i++) instance.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'GET', path: '/x', statusCode: 200, responseTime: ms });
    now += 1;
    // Evaluated (evaluationDelay 0), its deliveries not waited for: the next minute comes while one is retried.
    await Bun.sleep(50);
  };
  await minute(0, 900);
  await minute(1, 40);
  await minute(2, 900);
  await instance.flush();
  const texts = slack.received.map((r) => JSON.parse(r.body).blocks[0].text.text as string);
  expect(texts).toEqual(['FIRING: Slow (shop)', 'RESOLVED: Slow (shop)', 'FIRING: Slow (shop)']);
});
