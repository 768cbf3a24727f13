// Channels given by environment variables instead of the API (the spec's variables), each with no filters.
import type { AlertChannel } from './channel.ts';

/** The variables channelsFromEnv reads. */
export type ChannelVar = 'SLACK_WEBHOOK_URL' | 'WEBHOOK_URL' | 'WEBHOOK_TOKEN' | 'WEBHOOK_SECRET' | 'ALERT_EMAIL_TO' | 'ALERT_EMAIL_FROM' | 'PAGERDUTY_ROUTING_KEY';

/**
 * SLACK_WEBHOOK_URL → slack; WEBHOOK_URL (+ WEBHOOK_TOKEN, WEBHOOK_SECRET) → webhook;
 * ALERT_EMAIL_TO (+ ALERT_EMAIL_FROM) → email; PAGERDUTY_ROUTING_KEY → pagerduty. Unset or
 * empty variables give no channel. Validate the result with validateChannel before use.
 *
 * @example
 * const channels = [...channelsFromEnv(env), ...storedChannels];
 */
export function channelsFromEnv(env: { readonly [name in ChannelVar]?: string | undefined } | Readonly<Record<string, string | undefined>>): AlertChannel[] {
  const vars: { readonly [name in ChannelVar]?: string | undefined } = env;
  const value = (name: ChannelVar) => vars[name]?.trim() || undefined;
  const channels: AlertChannel[] = [];
  const slack = value('SLACK_WEBHOOK_URL');
  if (slack) channels.push({ type: 'slack', enabled: true, config: { url: slack } });
  const webhook = value('WEBHOOK_URL');
  if (webhook) channels.push({ type: 'webhook', enabled: true, config: { url: webhook, token: value('WEBHOOK_TOKEN'), secret: value('WEBHOOK_SECRET') } });
  const to = value('ALERT_EMAIL_TO');
  if (to) channels.push({ type: 'email', enabled: true, config: { email: to, from: value('ALERT_EMAIL_FROM') } });
  const routingKey = value('PAGERDUTY_ROUTING_KEY');
  if (routingKey) channels.push({ type: 'pagerduty', enabled: true, config: { routingKey } });
  return channels;
}
