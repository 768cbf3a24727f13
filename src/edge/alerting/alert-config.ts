// The alerting configuration of the Worker's vars and secrets, read and checked once per env:
// rules from ALERT_RULES (for every app, or per app), channels from the spec's variables with
// optional filters from ALERT_CHANNEL_FILTERS, and the dashboard link. A mistake is a ConfigError
// naming the var and the field, never echoing a secret.
import { channelDestinationMissing, emailList, validateChannel, type AlertChannel, type AlertChannelType, type ChannelFilters } from '../../core/alerts/channel.ts';
import { channelsFromEnv, type ChannelVar } from '../../core/alerts/channels-from-env.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
import { validateRule } from '../../core/alerts/validate-rule.ts';
import { settingFromVar } from '../../core/config/read-setting.ts';
import { WORKER } from '../../core/config/settings.ts';
import { ConfigError } from '../config-error.ts';
import { cachedByVars } from '../config-cache.ts';
import type { Env } from '../env.ts';

export interface EdgeChannel {
  /**
   * The outbox's name for it: the channel type (one channel of each type comes from the env), or
   * `email:<key>` for each of several ALERT_EMAIL_TO recipients, each its own outbox row so that a
   * recipient refused is retried alone and the others get each notification once. The key comes
   * from the address, not its place in the list, so an edit of the list keeps each row its recipient.
   */
  name: string;
  channel: AlertChannel;
}

export interface AlertConfig {
  /** ALERT_RULES entries for every app (`*`) and the app's own, which win on a shared id. */
  rulesFor(app: string): AlertRule[];
  channels: EdgeChannel[];
  /** The channel an outbox row names, also across a change of ALERT_EMAIL_TO between one and several recipients. */
  channel(name: string): AlertChannel | undefined;
  dashboardUrl?: string;
  /** BUN_APM_DEV=true: http:// receivers on loopback are allowed too. */
  dev: boolean;
}

/** The vars and secrets the alerting configuration is read from. */
export type AlertConfigVar = ChannelVar | 'ALERT_RULES' | 'ALERT_CHANNEL_FILTERS' | 'PAGERDUTY_URL' | 'DASHBOARD_URL' | 'BUN_APM_DEV';

const ALERT_CONFIG_VARS = [
  'SLACK_WEBHOOK_URL', 'WEBHOOK_URL', 'WEBHOOK_TOKEN', 'WEBHOOK_SECRET', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM', 'PAGERDUTY_ROUTING_KEY',
  'ALERT_RULES', 'ALERT_CHANNEL_FILTERS', 'PAGERDUTY_URL', 'DASHBOARD_URL', 'BUN_APM_DEV',
] as const satisfies ReadonlyArray<AlertConfigVar>;

export const readAlertConfig: (env: Pick<Env, AlertConfigVar>) => AlertConfig = cachedByVars(ALERT_CONFIG_VARS, (env: Pick<Env, AlertConfigVar>): AlertConfig => {
  const rules = readRules(settingFromVar(WORKER.alertRules, env));
  const filters = readFilters(settingFromVar(WORKER.alertChannelFilters, env));
  const channels: EdgeChannel[] = [];
  for (const channel of channelsFromEnv(env)) {
    const filter = filters[channel.type];
    let withFilters: AlertChannel = filter ? { ...channel, filters: filter } : channel;
    // PAGERDUTY_URL: another Events API v2 endpoint (PagerDuty's EU service region; a local receiver).
    const pagerDutyUrl = settingFromVar(WORKER.pagerDutyUrl, env);
    if (withFilters.type === 'pagerduty' && pagerDutyUrl) withFilters = { ...withFilters, config: { ...withFilters.config, url: pagerDutyUrl } };
    const problems = validateChannel(withFilters);
    // Field names only: the values are secrets.
    if (problems.length > 0) throw new ConfigError(`${envName(channel.type)}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    if (channelDestinationMissing(withFilters) !== undefined) continue;
    channels.push(...perRecipient(channel.type, withFilters));
  }
  const dashboardUrl = settingFromVar(WORKER.dashboardUrl, env);
  const config: AlertConfig = {
    rulesFor: (app) => {
      // An app's own rule replaces a rule of every app (`*`) with the same id.
      const own = rules.get(app) ?? [];
      const ids = new Set(own.map((rule) => rule.id));
      return [...(rules.get('*') ?? []).filter((rule) => !ids.has(rule.id)), ...own];
    },
    channels,
    channel: (name) => channels.find((c) => c.name === name)?.channel ?? emailChannelOf(channels, name),
    ...(dashboardUrl !== undefined && { dashboardUrl }),
    dev: env.BUN_APM_DEV === 'true',
  };
  return config;
});

function perRecipient(name: AlertChannelType, channel: AlertChannel): EdgeChannel[] {
  if (channel.type !== 'email') return [{ name, channel }];
  // Each address once, as first spelt.
  const byKey = new Map<string, string>();
  for (const email of emailList(channel.config.email) ?? []) if (!byKey.has(addressKey(email))) byKey.set(addressKey(email), email);
  if (byKey.size < 2) return [{ name, channel: { ...channel, config: { ...channel.config, email: [...byKey.values()] } } }];
  return [...byKey].map(([key, email]) => ({ name: `email:${key}`, channel: { ...channel, config: { ...channel.config, email } } }));
}

/** 8 hex digits of FNV-1a over the address: names are shown in the alert history, addresses need not be. */
function addressKey(email: string): string {
  let hash = 0x811c9dc5;
  for (const c of email.toLowerCase()) hash = Math.imul(hash ^ c.codePointAt(0)!, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * A row named `email` while there are several recipients now goes to all of them, as it would have;
 * a row named `email:<key>` while there is one recipient now goes to it if it is that address.
 */
function emailChannelOf(channels: readonly EdgeChannel[], name: string): AlertChannel | undefined {
  const emails = channels.flatMap(({ channel }) => (channel.type === 'email' ? [channel] : []));
  const to = emails.flatMap((channel) => emailList(channel.config.email) ?? []);
  if (name === 'email' && emails.length > 1) return { ...emails[0]!, config: { ...emails[0]!.config, email: to } };
  return emails.length === 1 && to.some((email) => name === `email:${addressKey(email)}`) ? emails[0] : undefined;
}

function envName(type: AlertChannelType): string {
  return { slack: 'SLACK_WEBHOOK_URL', webhook: 'WEBHOOK_URL', email: 'ALERT_EMAIL_TO', pagerduty: 'PAGERDUTY_ROUTING_KEY' }[type];
}

/** `[rule, …]` (every app) or `{ "*": [rule, …], "shop": [rule, …] }`. */
function readRules(raw: string | undefined): Map<string, AlertRule[]> {
  const out = new Map<string, AlertRule[]>();
  if (raw === undefined || raw.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ALERT_RULES: expected JSON (an array of rules, or an object of app → array of rules)');
  }
  const groups: Array<[string, unknown]> = Array.isArray(parsed) ? [['*', parsed]] : typeof parsed === 'object' && parsed !== null ? Object.entries(parsed) : [];
  if (groups.length === 0 && !Array.isArray(parsed)) throw new ConfigError('ALERT_RULES: expected an array of rules, or an object of app → array of rules');
  for (const [app, list] of groups) {
    if (!Array.isArray(list)) throw new ConfigError(`ALERT_RULES.${app}: expected an array of rules`);
    const rules: AlertRule[] = [];
    list.forEach((input, i) => {
      const result = validateRule(input);
      if (!result.ok) throw new ConfigError(`ALERT_RULES.${app}[${i}]: ${result.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
      if (result.rule.metric === 'custom') throw new ConfigError(`ALERT_RULES.${app}[${i}]: metric custom needs a customEvaluator function, which JSON cannot hold`);
      if (rules.some((r) => r.id === result.rule.id)) throw new ConfigError(`ALERT_RULES.${app}[${i}].id: '${result.rule.id}' is listed twice`);
      rules.push(result.rule);
    });
    out.set(app, rules);
  }
  return out;
}

/** `{ "slack": { "severities": ["critical"] }, "webhook": { "rules": ["slow"] } }`. */
function readFilters(raw: string | undefined): Partial<Record<AlertChannelType, ChannelFilters>> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ALERT_CHANNEL_FILTERS: expected JSON: { "slack": { "severities": ["critical"] }, … }');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('ALERT_CHANNEL_FILTERS: expected an object of channel type → filters');
  for (const key of Object.keys(parsed)) {
    if (!['slack', 'webhook', 'email', 'pagerduty'].includes(key)) throw new ConfigError(`ALERT_CHANNEL_FILTERS.${key}: expected slack, webhook, email or pagerduty`);
    const problems = validateChannel({ type: key, config: {}, filters: (parsed as Record<string, unknown>)[key] });
    if (problems.length > 0) throw new ConfigError(`ALERT_CHANNEL_FILTERS.${key}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
  return parsed as Partial<Record<AlertChannelType, ChannelFilters>>;
}
