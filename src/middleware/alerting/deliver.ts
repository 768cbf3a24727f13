// Delivers one notification to one channel from the app's process: the shared delivery
// (core/alerts/notification-delivery.ts) over the uninstrumented fetch, email over SMTP. Never throws; a failure
// is retried under the shared retry policy (network errors, timeouts, 408, 429, 500, 502, 503,
// 504; SMTP 4xx), then warned about at most once an hour per channel and kind of failure, naming
// neither URLs nor tokens.
import type { AlertChannel } from '../../core/alerts/channel.ts';
import { deliverNotification, postNotification, type DeliveryTransport } from '../../core/alerts/notification-delivery.ts';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import { exponentialBackoff, withRetries, type RetryPolicy } from '../../core/retry-policy.ts';
import type { Log } from '../../plugin/runtime/log.ts';
import { originalFetch } from '../../plugin/runtime/original-fetch.ts';
import { sleep } from '../../plugin/runtime/send-with-retry.ts';
import { SmtpMailer } from './smtp-mailer.ts';

export interface DeliveryOptions {
  /** Attempts per notification and channel (default 3, at most 20). */
  attempts?: number;
  /** The longest wait before the second attempt, doubled after each (default 1000 ms, at most 600 000); each wait is drawn at random below it. */
  backoffMs?: number;
  /** Timeout of one HTTP attempt (default 5000 ms, 100 to 600 000). */
  timeoutMs?: number;
}

export interface DelivererContext {
  dashboardUrl?: string;
  log: Log;
  now: () => number;
  env: Record<string, string | undefined>;
}

/**
 * No wait is longer: deliveries in flight hold flush() up. A receiver's Retry-After past it gives the
 * notification up (said, with the wait asked): capped, a rate-limited Slack had been hit every 30 s
 * and a flush() held for minutes (a review).
 */
const MAX_WAIT_MS = 30_000;
/** Retry-After values are read up to this (a day): the policy's cap, so the wait asked can be told apart. */
const RETRY_AFTER_READ_MS = 86_400_000;
/** The same failure of a channel is logged again after this long: an outage hours later still shows. */
const WARN_EVERY_MS = 3_600_000;
/** Failures remembered for WARN_EVERY_MS at most; past this the oldest is forgotten (channels come and go). */
const MAX_WARNED = 256;

export class Deliverer {
  private readonly mailers = new Map<string, SmtpMailer>();
  /** When each channel's failure of each kind was last logged. */
  private readonly warned = new Map<string, number>();
  private readonly attempts: number;
  private readonly policy: RetryPolicy;
  /** The longest wait between attempts: the backoff's cap; only a Retry-After asks for more. */
  private readonly longestWait: number;
  private readonly transport: DeliveryTransport;

  /** `options` as resolveAlertingOptions checked them. */
  constructor(private readonly context: DelivererContext, options: Required<DeliveryOptions>) {
    const { attempts, backoffMs: first, timeoutMs } = options;
    this.attempts = attempts;
    this.longestWait = Math.max(first, MAX_WAIT_MS);
    this.policy = { backoffMs: exponentialBackoff(first, this.longestWait), jitter: 1, maxWaitMs: RETRY_AFTER_READ_MS };
    this.transport = {
      post: (url, headers, body) => postNotification(url, headers, body, { fetch: originalFetch, timeoutMs }),
      email: async (message, channel) => {
        const smtp = this.smtpUrl(channel);
        if (smtp === undefined) return { ok: false, retryable: false, reason: 'no SMTP URL' };
        let mailer = this.mailers.get(smtp);
        if (mailer === undefined) this.mailers.set(smtp, (mailer = new SmtpMailer(smtp)));
        const from = message.from ?? this.context.env.ALERT_EMAIL_FROM ?? 'bun-apm@localhost';
        return mailer.send({ from, to: message.to, ...message.content, headers: message.headers });
      },
    };
  }

  /** Where this channel's email goes through (its own URL, else SMTP_URL), if anywhere. */
  smtpUrl(channel: AlertChannel & { type: 'email' }): string | undefined {
    return channel.config.smtp ?? this.context.env.SMTP_URL;
  }

  async deliver(channel: AlertChannel, label: string, n: AlertNotification): Promise<void> {
    const attempt = () => deliverNotification(channel, n, this.transport, { dashboardUrl: this.context.dashboardUrl, now: this.context.now() });
    let refusedWait = 0;
    const wait = async (ms: number): Promise<void | false> => {
      if (ms <= this.longestWait) return sleep(ms);
      refusedWait = ms;
      return false;
    };
    const { outcome } = await withRetries(attempt, this.policy, { maxAttempts: this.attempts, sleep: wait });
    if (outcome.ok) return;
    // Up, not to the nearest: 30.4 s had read "30 s, longer than…"; the read cap is "over a day", not the wait asked.
    const when = refusedWait >= RETRY_AFTER_READ_MS ? 'over a day' : `${Math.ceil(refusedWait / 1000)} s`;
    const asked = refusedWait > 0 ? `; it asked to be retried in ${when}, longer than a notification is held, so it was given up` : '';
    // Without the origin a redirect names: a receiver rotating its Location would get a line, and a key, per failure.
    const key = `${label}\n${outcome.reason.replace(/\w[\w+.-]*:\/\/[^\s)]*/g, 'URL')}`;
    const now = this.context.now();
    const last = this.warned.get(key);
    if (last !== undefined && now >= last && now - last < WARN_EVERY_MS) return;
    this.warned.delete(key);
    if (this.warned.size >= MAX_WARNED) this.warned.delete(this.warned.keys().next().value!);
    this.warned.set(key, now);
    this.context.log.info(`alerting: ${label} could not deliver a notification (${outcome.reason}${asked}); the same failure is not logged again for an hour`);
  }
}
