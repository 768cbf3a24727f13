// One attempt to deliver one notification to one channel: the message is built here, the host
// sends it (HTTP through its fetch and URL rules, email through its mail transport). Never throws;
// whether and when to try again is the caller's (an in-process retry loop, or the edge's outbox),
// both under the shared retry policy.
import type { AttemptOutcome } from '../../retry/retry-policy.ts';
import type { AlertChannel } from '../channel.ts';
import type { AlertNotification } from '../notification.ts';
import { channelMessage, type EmailMessage, type MessageOptions } from './channel-message.ts';

/** How a host sends what a channel built. Both resolve with an outcome; a throw counts as a retryable failure. */
export interface DeliveryTransport {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptOutcome>;
  email(message: EmailMessage, channel: AlertChannel & { type: 'email' }): Promise<AttemptOutcome>;
}

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
