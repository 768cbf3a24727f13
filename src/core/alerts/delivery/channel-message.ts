// What one channel sends for one notification, built the same way by both hosts: an HTTP POST
// (Slack, the signed webhook, PagerDuty), an email (sent by the host's transport: SMTP in-process,
// the send_email binding at the edge), or nothing (PagerDuty has no event for an error).
import { emailList, type AlertChannel } from '../channel.ts';
import type { AlertNotification } from '../notification.ts';
import { emailContent, type EmailContent } from '../payloads/email.ts';
import { PAGERDUTY_EVENTS_URL, pagerDutyEvent } from '../payloads/pagerduty.ts';
import { slackMessage } from '../payloads/slack.ts';
import { WEBHOOK_DELIVERY_HEADER, webhookRequest } from '../payloads/webhook.ts';

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
