// The edge's outbox: the core Outbox over the alert_outbox table, sending to the channels
// configured now through the Worker's transport: HTTP over fetch to https only (or loopback http
// with BUN_APM_DEV=true), a 9 s timeout, no redirects followed; email through the send_email
// binding (several recipients are several channels: alert-config.ts). Retries follow the shared
// retry policy on a schedule of cron ticks (1, 1, 2, 5, 10, 30, then 60 minutes) until the row
// expires 24 h after its notification. A pass takes the most urgent rows first (firing before
// resolved, then by severity: alert-tables.ts), so a critical is not queued behind a storm of
// resolves, yet a rule's own rows go in the order made; a Retry-After holds back its whole channel,
// across evictions (ChannelHolds below).
// Jitter takes at most a tenth off a wait: passes run on the minute's tick, so a wait ends on the
// same tick either way, and the cron already spreads the apps' objects.
import { deliverNotification, postNotification, type DeliveryTransport } from '../../core/alerts/notification-delivery.ts';
import { Outbox, type OutboxRow, type OutboxRows } from '../../core/alerts/outbox.ts';
import { oneLine } from '../../core/alerts/payloads/escape.ts';
import { MINUTE_MS } from '../../core/rollup.ts';
import { scheduledBackoff, type AttemptOutcome, type RetryPolicy } from '../../core/retry-policy.ts';
import { getMetaString, setMeta } from '../store/meta.ts';
import type { Sql } from '../store/sql.ts';
import type { AlertConfig } from './alert-config.ts';
import * as tables from './alert-tables.ts';
import { mimeMessage } from './mime-message.ts';

export const OUTBOX_RETRY_POLICY: RetryPolicy = {
  backoffMs: scheduledBackoff([1, 1, 2, 5, 10, 30, 60].map((m) => m * MINUTE_MS)),
  jitter: 0.1,
  maxWaitMs: 60 * MINUTE_MS,
};
/** Deliveries attempted per pass at most (each has its own 9 s timeout; they run in parallel). */
const DELIVERIES_PER_PASS = 50;
/** How long a pass (a tick's, or an API call's) waits for its deliveries; the rest go on the next tick. */
const PASS_BUDGET_MS = 10_000;

export interface EdgeOutboxOptions {
  sql: Sql;
  config: () => AlertConfig;
  /** How email goes out (the send_email binding), if it can. */
  sendEmail: SendRawEmail | undefined;
}

/**
 * Channels that answered with a Retry-After (Slack's 429 above its ~1 message/s): the receiver's
 * wait is the channel's, not only the row's. Its other pending rows are pushed back to the end of
 * the wait in the table, and rows queued during the wait are held back by the channel's entry in the
 * meta table (kept there, not in memory: after an eviction the rows queued since had gone before
 * the wait ended, a review); the other channels go on as usual. After the wait the channel's rows
 * are due together and the pass takes them most urgent first (alert-tables.ts dueDeliveries), so a
 * critical stays ahead.
 */
class ChannelHolds {
  /** The Retry-After of each attempt that gave one, by row (the Outbox hands `send` and `failed` the same object). */
  readonly retryAfter = new WeakMap<OutboxRow, number>();

  constructor(private readonly sql: Sql) {}

  /** Channels still waiting at `now`. */
  held(now: number): string[] {
    return [...this.waits(now).keys()];
  }

  /** The end of the channel's wait, if this attempt started or lengthened one. */
  hold(row: OutboxRow, now: number): number | undefined {
    const retryAfterMs = this.retryAfter.get(row);
    if (retryAfterMs === undefined || retryAfterMs <= 0) return undefined;
    const waits = this.waits(now);
    const until = Math.max(now + Math.min(retryAfterMs, OUTBOX_RETRY_POLICY.maxWaitMs), waits.get(row.channel) ?? 0);
    waits.set(row.channel, until);
    setMeta(this.sql, 'channel_holds', JSON.stringify(Object.fromEntries(waits)));
    return until;
  }

  /** When the channel's wait ends, if it waits at `now`. */
  waitOf(channel: string, now: number): number | undefined {
    return this.waits(now).get(channel);
  }

  /** The waits not over at `now`, by channel. A value that is not a map of numbers (never written so) holds nothing. */
  private waits(now: number): Map<string, number> {
    const waits = new Map<string, number>();
    let stored: unknown;
    try {
      stored = JSON.parse(getMetaString(this.sql, 'channel_holds') ?? '{}');
    } catch {
      return waits;
    }
    if (typeof stored !== 'object' || stored === null) return waits;
    // A wait past the longest one taken (a clock gone back, a garbled row) would hold its channel for good.
    for (const [channel, until] of Object.entries(stored)) if (typeof until === 'number' && until > now) waits.set(channel, Math.min(until, now + OUTBOX_RETRY_POLICY.maxWaitMs));
    return waits;
  }
}

function sqlRows(sql: Sql, holds: ChannelHolds): OutboxRows {
  return {
    expire: (now) => tables.expireDeliveries(sql, now),
    due: (now, limit) => tables.dueDeliveries(sql, now, limit, holds.held(now)),
    sent: (row, now) => tables.markSent(sql, row, now),
    failed: (row, now, reason, retryAt, finalStatus) => {
      const until = retryAt === null ? undefined : holds.hold(row, now);
      // A row of a waiting channel that failed otherwise (a timeout in the same pass) waits as long.
      const wait = holds.waitOf(row.channel, now);
      tables.markFailed(sql, row, now, reason, retryAt !== null && wait !== undefined ? Math.max(retryAt, wait) : retryAt, finalStatus);
      if (until !== undefined) tables.holdChannel(sql, row.channel, until);
    },
  };
}

export function edgeOutbox(options: EdgeOutboxOptions): Outbox {
  const holds = new ChannelHolds(options.sql);
  return new Outbox({
    rows: sqlRows(options.sql, holds),
    policy: OUTBOX_RETRY_POLICY,
    perPass: DELIVERIES_PER_PASS,
    budgetMs: PASS_BUDGET_MS,
    warn: (line) => console.warn(`bun-apm edge: ${line}`),
    send: async (row) => {
      const config = options.config();
      const channel = config.channel(row.channel);
      if (channel === undefined) return { ok: false, retryable: false, reason: 'channel no longer configured' };
      const transport = edgeTransport({ dev: config.dev, ...(options.sendEmail !== undefined && { sendEmail: options.sendEmail }) });
      // Signed at the real time of sending (receivers compare it with their clock), not the tick's scheduled time.
      const outcome = await deliverNotification(channel, row.notification, transport, { dashboardUrl: appPage(config.dashboardUrl, row.notification.app), now: Date.now() });
      if (!outcome.ok && outcome.retryAfterMs !== undefined) holds.retryAfter.set(row, outcome.retryAfterMs);
      return outcome;
    },
  });
}

/** The dashboard opened on the alert's app: the edge serves every app, and without `app` it shows the first. */
function appPage(dashboardUrl: string | undefined, app: string | undefined): string | undefined {
  if (dashboardUrl === undefined || app === undefined) return dashboardUrl;
  try {
    const url = new URL(dashboardUrl);
    url.searchParams.set('app', app);
    return url.href;
  } catch {
    return dashboardUrl;
  }
}

/**
 * A receiver that answers later is taken for one that failed, and posted to again on a later tick:
 * a Slack workflow or a webhook bridge taking 5–8 s got the same alert once a tick until it answered
 * sooner (a review: 5 s had been the limit). As long as the pass's budget allows, less a second.
 */
const DELIVERY_TIMEOUT_MS = 9_000;

/**
 * Sends one raw MIME message: the send_email binding with cloudflare:email's EmailMessage, put
 * together by the AppStore (so this file imports no cloudflare: module and runs in Bun's tests).
 */
export type SendRawEmail = (from: string, to: string, raw: string) => Promise<unknown>;

export interface EdgeTransportOptions {
  dev: boolean;
  /** Absent without an EMAIL binding: email channels then fail without retry. */
  sendEmail?: SendRawEmail;
}

/** Whether the Worker may send to this URL: https, or http to loopback in dev. */
function allowedUrl(raw: string, dev: boolean): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return dev && url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export function edgeTransport(options: EdgeTransportOptions): DeliveryTransport {
  return {
    async post(url, headers, body): Promise<AttemptOutcome> {
      if (!allowedUrl(url, options.dev)) {
        return { ok: false, retryable: false, reason: options.dev ? 'URL refused: https, or http to 127.0.0.1/localhost' : 'URL refused: only https:// receivers' };
      }
      return postNotification(url, headers, body, { fetch: (input, init) => fetch(input, init), timeoutMs: DELIVERY_TIMEOUT_MS });
    },
    async email(message): Promise<AttemptOutcome> {
      const { sendEmail } = options;
      if (sendEmail === undefined) return { ok: false, retryable: false, reason: 'no EMAIL (send_email) binding' };
      if (message.from === undefined) return { ok: false, retryable: false, reason: 'no ALERT_EMAIL_FROM' };
      for (const recipient of message.to) {
        const raw = await mimeMessage({ from: message.from, to: recipient, content: message.content, date: message.timestamp, id: message.key, headers: message.headers });
        try {
          await sendEmail(message.from, recipient, raw);
        } catch (error) {
          // The binding's own words (an unverified destination, a limit), as one short line: what
          // the on-call engineer needs to mend it. It names addresses, never a secret.
          return { ok: false, retryable: true, reason: `send_email: ${oneLine(String((error as Error | null)?.message ?? error), 200)}` };
        }
      }
      return { ok: true };
    },
  };
}
