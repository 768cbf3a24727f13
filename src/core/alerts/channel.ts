// Notification channels as the spec configures them, their filters, and their validation.
import type { NotificationState, AlertNotification } from './notification.ts';
import { ALERT_SEVERITIES, type AlertSeverity } from './rule.ts';

export interface ChannelFilters {
  /** Only these severities (default: all). */
  severities?: AlertSeverity[];
  /** Only these rule ids (default: all). */
  rules?: string[];
  /** Only these notification states (default: all: firing, resolved, error). */
  states?: NotificationState[];
}

// Destinations and secrets take `| undefined` (as the dashboard's credentials do): under
// exactOptionalPropertyTypes, `url: process.env.SLACK_WEBHOOK_URL` must compile, and an unset one is
// warned of and skipped (channelDestinationMissing).

/** Slack incoming webhook. `channel` is honoured by legacy webhooks only; new ones post where they were created. */
export interface SlackChannelConfig {
  url?: string | undefined;
  channel?: string | undefined;
}

/** Generic JSON webhook: `Authorization: Bearer <token>`; signed with `secret` (default: the token). */
export interface WebhookChannelConfig {
  url?: string | undefined;
  token?: string | undefined;
  secret?: string | undefined;
}

/** `email` may list several addresses (comma-separated or an array). `smtp` is the in-process connection URL (`smtp://user:pass@host:port`, `smtps://…`); the edge uses its send_email binding instead. */
export interface EmailChannelConfig {
  email?: string | string[] | undefined;
  from?: string | undefined;
  smtp?: string | undefined;
}

/** PagerDuty Events API v2: the integration's routing key; `url` overrides the endpoint (tests, EU service region). */
export interface PagerDutyChannelConfig {
  routingKey?: string | undefined;
  url?: string | undefined;
}

interface ChannelBase {
  /** Default true. */
  enabled?: boolean;
  filters?: ChannelFilters;
}

export type AlertChannel =
  | (ChannelBase & { type: 'slack'; config: SlackChannelConfig })
  | (ChannelBase & { type: 'webhook'; config: WebhookChannelConfig })
  | (ChannelBase & { type: 'email'; config: EmailChannelConfig })
  | (ChannelBase & { type: 'pagerduty'; config: PagerDutyChannelConfig });

export type AlertChannelType = AlertChannel['type'];
export const CHANNEL_TYPES: readonly AlertChannelType[] = ['slack', 'webhook', 'email', 'pagerduty'];

/** Whether the channel wants this notification: enabled, and every filter it sets matches. */
export function channelAccepts(channel: AlertChannel, notification: AlertNotification): boolean {
  if (channel.enabled === false) return false;
  const f = channel.filters;
  if (f?.severities !== undefined && !f.severities.includes(notification.severity)) return false;
  if (f?.rules !== undefined && !f.rules.includes(notification.ruleId)) return false;
  if (f?.states !== undefined && !f.states.includes(notification.state)) return false;
  return true;
}

export interface ChannelProblem {
  field: string;
  message: string;
}

/**
 * Problems with a channel's shape and values, each naming its field (`config.url: …`). A missing
 * destination (an unset environment variable) is not a problem here: it is reported by
 * `channelDestinationMissing` so that a host can warn and skip instead of refusing to start.
 */
export function validateChannel(input: unknown): ChannelProblem[] {
  const problems: ChannelProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (typeof input !== 'object' || input === null) return [{ field: '(channel)', message: 'expected an object' }];
  const c = input as Record<string, unknown>;
  if (!CHANNEL_TYPES.includes(c.type as AlertChannelType)) add('type', `expected one of ${CHANNEL_TYPES.join(', ')}`);
  if (c.enabled !== undefined && typeof c.enabled !== 'boolean') add('enabled', 'expected true or false');
  if (typeof c.config !== 'object' || c.config === null) add('config', 'expected an object');
  const config = (c.config ?? {}) as Record<string, unknown>;
  const optionalString = (field: string) => {
    if (config[field] !== undefined && typeof config[field] !== 'string') add(`config.${field}`, 'expected a string');
  };
  const url = (field: string, schemes: string[]) => {
    const value = config[field];
    if (value === undefined) return;
    if (typeof value !== 'string' || !parsesWithScheme(value, schemes)) add(`config.${field}`, `expected a ${schemes.join(' or ')} URL`);
  };
  switch (c.type) {
    case 'slack': url('url', ['https:', 'http:']); optionalString('channel'); break;
    case 'webhook': url('url', ['https:', 'http:']); optionalString('token'); optionalString('secret'); break;
    case 'pagerduty': url('url', ['https:', 'http:']); optionalString('routingKey'); break;
    case 'email': {
      url('smtp', ['smtp:', 'smtps:']);
      if (config.from !== undefined && !(typeof config.from === 'string' && isAddress(config.from))) add('config.from', 'expected an email address');
      const to = config.email;
      if (to !== undefined && !(emailList(to)?.every(isAddress))) add('config.email', 'expected an email address, several separated by commas, or an array of them');
      break;
    }
  }
  checkFilters(c.filters, add);
  return problems;
}

/** The recipients of an email channel, or undefined when the value is not a string or string array. */
export function emailList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value.map((s: string) => s.trim());
  return undefined;
}

/** Names what the channel lacks to deliver anything (`config.url`), or undefined when it has it. */
export function channelDestinationMissing(channel: AlertChannel): string | undefined {
  switch (channel.type) {
    case 'slack':
    case 'webhook': return channel.config.url ? undefined : 'config.url';
    case 'pagerduty': return channel.config.routingKey ? undefined : 'config.routingKey';
    case 'email': return emailList(channel.config.email)?.length ? undefined : 'config.email';
  }
}

function checkFilters(filters: unknown, add: (field: string, message: string) => void): void {
  if (filters === undefined) return;
  if (typeof filters !== 'object' || filters === null) return add('filters', 'expected an object');
  const f = filters as Record<string, unknown>;
  for (const key of Object.keys(f)) if (!['severities', 'rules', 'states'].includes(key)) add(`filters.${key}`, 'unknown field');
  const list = (key: string, ok: (item: unknown) => boolean, what: string) => {
    const value = f[key];
    if (value !== undefined && !(Array.isArray(value) && value.every(ok))) add(`filters.${key}`, `expected an array of ${what}`);
  };
  list('severities', (s) => (ALERT_SEVERITIES as readonly unknown[]).includes(s), ALERT_SEVERITIES.join(' | '));
  list('rules', (s) => typeof s === 'string', 'rule ids');
  list('states', (s) => s === 'firing' || s === 'resolved' || s === 'error', 'firing | resolved | error');
}

function parsesWithScheme(value: string, schemes: string[]): boolean {
  try {
    return schemes.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function isAddress(value: string): boolean {
  // A sanity check, not RFC 5322: one @, no spaces or angle brackets, no header-breaking characters.
  return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(value.trim());
}
