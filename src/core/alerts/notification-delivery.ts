// One notification delivery for both hosts: each channel's message is built here (an HTTP POST
// for Slack, the signed webhook and PagerDuty; an email; or nothing, as PagerDuty has no event for
// an error), HTTP answers are judged by the shared retry policy, and the host sends through its own
// transport (its fetch and URL rules; SMTP in-process, the send_email binding at the edge). One
// attempt never throws; whether and when to try again is the caller's (an in-process retry loop,
// or the edge's outbox). Redirects are not followed (a signed request must not be led elsewhere)
// but retried, receivers' answers are never read, and no reason holds more of a URL than the
// origin a redirect names: for Slack the URL is the secret.
import { fetchErrorOutcome, responseOutcome, type AttemptOutcome } from '../retry-policy.ts';
import { emailList, type AlertChannel } from './channel.ts';
import type { AlertNotification } from './notification.ts';
import { emailContent, type EmailContent } from './payloads/email.ts';
import { PAGERDUTY_EVENTS_URL, pagerDutyEvent } from './payloads/pagerduty.ts';
import { slackMessage } from './payloads/slack.ts';
import { WEBHOOK_DELIVERY_HEADER, webhookRequest } from './payloads/webhook.ts';

export interface PostMessage {
  kind: 'post';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface EmailMessage {
  kind: 'email';
  /** The channel's own sender, if it names one (each host has its default). */
  from: string | undefined;
  to: string[];
  content: EmailContent;
  /** The delivery header (the notification's key), so receivers can drop a retried duplicate. */
  headers: Record<string, string>;
  /** Stable across retries: the Message-ID's unique part. */
  key: string;
  /** When the notification was produced (the Date header). */
  timestamp: number;
}

export type ChannelMessage = PostMessage | EmailMessage | { kind: 'none' };

export interface MessageOptions {
  dashboardUrl?: string;
  /** The time of sending (ms): webhooks are signed with it, since receivers compare it with their clock. */
  now: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** What the channel sends for this notification. */
export async function channelMessage(channel: AlertChannel, n: AlertNotification, { dashboardUrl, now }: MessageOptions): Promise<ChannelMessage> {
  switch (channel.type) {
    case 'slack':
      return { kind: 'post', url: channel.config.url!, headers: JSON_HEADERS, body: JSON.stringify(slackMessage(n, { dashboardUrl, channel: channel.config.channel })) };
    case 'webhook': {
      const { body, headers } = await webhookRequest(n, { token: channel.config.token, secret: channel.config.secret, dashboardUrl, now });
      return { kind: 'post', url: channel.config.url!, headers, body };
    }
    case 'pagerduty': {
      const event = pagerDutyEvent(n, channel.config.routingKey!, { dashboardUrl });
      if (event === null) return { kind: 'none' };
      return { kind: 'post', url: channel.config.url ?? PAGERDUTY_EVENTS_URL, headers: JSON_HEADERS, body: JSON.stringify(event) };
    }
    case 'email':
      return {
        kind: 'email',
        from: channel.config.from,
        to: emailList(channel.config.email) ?? [],
        content: emailContent(n, { dashboardUrl }),
        headers: { [WEBHOOK_DELIVERY_HEADER]: n.key },
        key: n.key,
        timestamp: n.timestamp,
      };
  }
}

export interface PostOptions {
  /** The fetch to use (the Bun side passes its uninstrumented one). */
  fetch: typeof fetch;
  timeoutMs: number;
}

/** One POST of a notification, judged by the shared retry policy. */
export async function postNotification(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<AttemptOutcome> {
  let response: Response;
  try {
    response = await options.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    return fetchErrorOutcome(error);
  }
  await response.body?.cancel().catch(() => undefined);
  const outcome = responseOutcome(response.status, response.headers.get('retry-after'), Date.now());
  if (outcome.ok || response.status < 300 || response.status >= 400) return outcome;
  // Retried like a 5xx (a proxy's or a maintenance page's redirect passes), still never followed.
  return { ...outcome, retryable: true, reason: `HTTP ${response.status} to ${redirectOrigin(response.headers.get('location'), url)} (redirects are not followed)` };
}

/** Where a redirect leads, as an origin: neither the path nor the query (for Slack the URL is the secret). */
function redirectOrigin(location: string | null, base: string): string {
  try {
    const origin = new URL(location ?? '', base).origin;
    if (location !== null && origin !== 'null') return origin;
  } catch {
    // Unreadable: said so below.
  }
  return 'no readable Location';
}

/** How a host sends what a channel built. Both resolve with an outcome; a throw counts as a retryable failure. */
export interface DeliveryTransport {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptOutcome>;
  email(message: EmailMessage, channel: AlertChannel & { type: 'email' }): Promise<AttemptOutcome>;
}

/** One attempt to deliver one notification to one channel. */
export async function deliverNotification(channel: AlertChannel, n: AlertNotification, transport: DeliveryTransport, options: MessageOptions): Promise<AttemptOutcome> {
  try {
    const message = await channelMessage(channel, n, options);
    switch (message.kind) {
      case 'none':
        return { ok: true };
      case 'post':
        return await transport.post(message.url, message.headers, message.body);
      case 'email':
        return await transport.email(message, channel as AlertChannel & { type: 'email' });
    }
  } catch (error) {
    // The error's kind only: its message may quote a destination.
    return { ok: false, retryable: true, reason: (error as Error | null)?.name ?? 'Error' };
  }
}
