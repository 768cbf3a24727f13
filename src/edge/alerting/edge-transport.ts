// How the Worker sends what a channel built (core/alerts/delivery): HTTP over fetch to https only
// (or loopback http with BUN_APM_DEV=true), with a 5 s timeout and no redirects followed; email
// through the send_email binding, one message per recipient. Reasons never hold a URL or token.
import type { DeliveryTransport } from '../../core/alerts/delivery/deliver-notification.ts';
import { postNotification } from '../../core/alerts/delivery/post-notification.ts';
import type { AttemptOutcome } from '../../core/retry/retry-policy.ts';
import { mimeMessage } from './mime-message.ts';

const DELIVERY_TIMEOUT_MS = 5_000;

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
        await sendEmail(message.from, recipient, raw);
      }
      return { ok: true };
    },
  };
}
