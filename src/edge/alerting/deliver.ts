// Sends one outbox row to its channel from the Worker: Slack, webhook and PagerDuty over fetch
// (https only, or loopback http with BUN_APM_DEV=true; redirects not followed; 5 s timeout), email
// through the send_email binding. Returns what happened without throwing; reasons never hold a
// URL or token.
import { emailList } from '../../core/alerts/channel.ts';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import { emailContent } from '../../core/alerts/payloads/email.ts';
import { PAGERDUTY_EVENTS_URL, pagerDutyEvent } from '../../core/alerts/payloads/pagerduty.ts';
import { slackMessage } from '../../core/alerts/payloads/slack.ts';
import { WEBHOOK_DELIVERY_HEADER, webhookRequest } from '../../core/alerts/payloads/webhook.ts';
import type { EdgeChannel } from './alert-config.ts';
import { mimeMessage } from './mime-message.ts';

const DELIVERY_TIMEOUT_MS = 5_000;

export type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

export interface DeliveryContext {
  dev: boolean;
  dashboardUrl?: string;
  /** The send_email binding (absent: email channels fail without retry). */
  email?: SendEmail;
  /** Builds an EmailMessage (cloudflare:email's constructor, passed in so this file stays importable in tests). */
  emailMessage?: (from: string, to: string, raw: string) => EmailMessage;
  now: number;
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

export async function deliver({ channel }: EdgeChannel, n: AlertNotification, context: DeliveryContext): Promise<Attempt> {
  try {
    const { dashboardUrl } = context;
    switch (channel.type) {
      case 'slack':
        return await post(channel.config.url!, { 'content-type': 'application/json' }, JSON.stringify(slackMessage(n, { dashboardUrl, channel: channel.config.channel })), context);
      case 'webhook': {
        // Signed at the real time of sending (receivers compare it with their clock), not the tick's scheduled time.
        const { body, headers } = await webhookRequest(n, { token: channel.config.token, secret: channel.config.secret, dashboardUrl, now: Date.now() });
        return await post(channel.config.url!, headers, body, context);
      }
      case 'pagerduty': {
        const event = pagerDutyEvent(n, channel.config.routingKey!, { dashboardUrl });
        if (event === null) return { ok: true };
        return await post(channel.config.url ?? PAGERDUTY_EVENTS_URL, { 'content-type': 'application/json' }, JSON.stringify(event), context);
      }
      case 'email':
        return await sendEmail(channel.config.email, channel.config.from, n, context);
    }
  } catch (error) {
    return { ok: false, retryable: true, reason: (error as Error)?.name ?? 'Error' };
  }
}

async function post(url: string, headers: Record<string, string>, body: string, context: DeliveryContext): Promise<Attempt> {
  if (!allowedUrl(url, context.dev)) {
    return { ok: false, retryable: false, reason: context.dev ? 'URL refused: https, or http to 127.0.0.1/localhost' : 'URL refused: only https:// receivers' };
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
  } catch (error) {
    const name = (error as Error)?.name;
    return { ok: false, retryable: true, reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network error' };
  }
  // The body is not read into anything: receivers' answers are not ours to log.
  await response.body?.cancel();
  if (response.ok) return { ok: true };
  if (response.status >= 300 && response.status < 400) return { ok: false, retryable: false, reason: `HTTP ${response.status} (redirects are not followed)` };
  return { ok: false, retryable: response.status === 408 || response.status === 429 || response.status >= 500, reason: `HTTP ${response.status}` };
}

async function sendEmail(to: string | string[] | undefined, from: string | undefined, n: AlertNotification, context: DeliveryContext): Promise<Attempt> {
  if (context.email === undefined || context.emailMessage === undefined) return { ok: false, retryable: false, reason: 'no EMAIL (send_email) binding' };
  if (from === undefined) return { ok: false, retryable: false, reason: 'no ALERT_EMAIL_FROM' };
  const content = emailContent(n, { dashboardUrl: context.dashboardUrl });
  for (const recipient of emailList(to) ?? []) {
    const raw = await mimeMessage({ from, to: recipient, content, date: n.timestamp, id: n.key, headers: { [WEBHOOK_DELIVERY_HEADER]: n.key } });
    await context.email.send(context.emailMessage(from, recipient, raw));
  }
  return { ok: true };
}
