// Delivers one notification to one channel from the app's process: Slack, webhook and PagerDuty
// over the uninstrumented fetch, email over SMTP. Never throws; a failure is retried a few times
// (network errors, 429 and 5xx; SMTP 4xx), then warned about once per channel and kind of
// failure, naming neither URLs nor tokens.
import { emailList, type AlertChannel } from '../../core/alerts/channel.ts';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import { emailContent } from '../../core/alerts/payloads/email.ts';
import { PAGERDUTY_EVENTS_URL, pagerDutyEvent } from '../../core/alerts/payloads/pagerduty.ts';
import { slackMessage } from '../../core/alerts/payloads/slack.ts';
import { WEBHOOK_DELIVERY_HEADER, webhookRequest } from '../../core/alerts/payloads/webhook.ts';
import type { Log } from '../../plugin/log.ts';
import { sendWithRetry, sleep } from '../../plugin/send-with-retry.ts';
import { SmtpMailer } from './smtp-mailer.ts';

export interface DeliveryOptions {
  /** Attempts per notification and channel (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each (default 1000 ms). */
  backoffMs?: number;
  /** Timeout of one HTTP attempt (default 5000 ms). */
  timeoutMs?: number;
}

export interface DelivererContext {
  dashboardUrl?: string;
  log: Log;
  now: () => number;
  env: Record<string, string | undefined>;
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

export class Deliverer {
  private readonly mailers = new Map<string, SmtpMailer>();
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly context: DelivererContext, options: DeliveryOptions = {}) {
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoffMs = options.backoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Where this channel's email goes through (its own URL, else SMTP_URL), if anywhere. */
  smtpUrl(channel: AlertChannel & { type: 'email' }): string | undefined {
    return channel.config.smtp ?? this.context.env.SMTP_URL;
  }

  async deliver(channel: AlertChannel, label: string, n: AlertNotification): Promise<void> {
    let last: Attempt = { ok: false, retryable: false, reason: 'not sent' };
    try {
      for (let attempt = 0; attempt < this.attempts; attempt++) {
        if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
        last = await this.attempt(channel, n);
        if (last.ok || !last.retryable) break;
      }
    } catch (error) {
      last = { ok: false, retryable: false, reason: (error as Error)?.name ?? 'Error' };
    }
    if (!last.ok) {
      this.context.log.warnOnce(`alert-delivery:${label}:${last.reason}`, `alerting: ${label} could not deliver a notification (${last.reason}); further failures of this kind are not logged`);
    }
  }

  private async attempt(channel: AlertChannel, n: AlertNotification): Promise<Attempt> {
    const dashboardUrl = this.context.dashboardUrl;
    switch (channel.type) {
      case 'slack':
        return this.post(channel.config.url!, { 'content-type': 'application/json' }, JSON.stringify(slackMessage(n, { dashboardUrl, channel: channel.config.channel })));
      case 'webhook': {
        const { body, headers } = await webhookRequest(n, { token: channel.config.token, secret: channel.config.secret, dashboardUrl, now: this.context.now() });
        return this.post(channel.config.url!, headers, body);
      }
      case 'pagerduty': {
        const event = pagerDutyEvent(n, channel.config.routingKey!, { dashboardUrl });
        if (event === null) return { ok: true };
        return this.post(channel.config.url ?? PAGERDUTY_EVENTS_URL, { 'content-type': 'application/json' }, JSON.stringify(event));
      }
      case 'email': {
        const url = this.smtpUrl(channel);
        if (url === undefined) return { ok: false, retryable: false, reason: 'no SMTP URL' };
        let mailer = this.mailers.get(url);
        if (mailer === undefined) this.mailers.set(url, (mailer = new SmtpMailer(url)));
        const { subject, text, html } = emailContent(n, { dashboardUrl });
        const from = channel.config.from ?? this.context.env.ALERT_EMAIL_FROM ?? 'bun-apm@localhost';
        return mailer.send({ from, to: emailList(channel.config.email) ?? [], subject, text, html, headers: { [WEBHOOK_DELIVERY_HEADER]: n.key } });
      }
    }
  }

  private async post(url: string, headers: Record<string, string>, body: string): Promise<Attempt> {
    const outcome = await sendWithRetry(url, { method: 'POST', headers, body }, { maxAttempts: 1, timeoutMs: this.timeoutMs });
    if (outcome.ok) return { ok: true };
    if (outcome.status === undefined) return { ok: false, retryable: true, reason: errorClass(outcome.reason) };
    return { ok: false, retryable: outcome.status === 429 || outcome.status >= 500, reason: `HTTP ${outcome.status}` };
  }
}

/** The error's class only ("TimeoutError"): sendWithRetry's reason also names the URL, which for Slack is the secret. */
function errorClass(reason: string): string {
  return /^([A-Za-z]+):/.exec(reason)?.[1] ?? 'network error';
}
