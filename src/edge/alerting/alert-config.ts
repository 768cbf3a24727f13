// The alerting configuration of the Worker's vars and secrets, read and checked once per env:
// rules from ALERT_RULES (for every app, or per app), channels from the spec's variables with
// optional filters from ALERT_CHANNEL_FILTERS, and the dashboard link. A mistake leaves out only
// what it touches (one rule, one channel) and is kept as a problem naming the var and the field,
// never echoing a secret: logged once, and listed by the rules and alerts API. It never stops
// ingest, the dashboard or the other rules (a missing scheme in SLACK_WEBHOOK_URL once did all three).
import { channelDestinationMissing, emailList, isAddress, validateChannel, type AlertChannel, type AlertChannelType, type ChannelFilters } from '../../core/alerts/channel.ts';
import { channelsFromEnv, type ChannelVar } from '../../core/alerts/channels-from-env.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
import { validateRule } from '../../core/alerts/validate-rule.ts';
import { settingFromVar } from '../../core/config/read-setting.ts';
import { WORKER } from '../../core/config/settings.ts';
import { varText } from '../../core/config/var-text.ts';
import { didYouMean } from '../../core/config/nearest-name.ts';
import { listedEntries } from '../auth/key-ring.ts';
import { ConfigError } from '../config-error.ts';
import { cachedByVars } from '../config-cache.ts';
import type { Env } from '../env.ts';
import { unknownVars } from '../unknown-vars.ts';

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
  /** What was left out and why, that concerns this app (`SLACK_WEBHOOK_URL: …`, `ALERT_RULES.shop[2]: severity: …`): another app's rules are not named. */
  problemsFor(app: string): string[];
}

/** The vars and secrets the alerting configuration is read from. */
export type AlertConfigVar = ChannelVar | 'ALERT_RULES' | 'ALERT_CHANNEL_FILTERS' | 'PAGERDUTY_URL' | 'DASHBOARD_URL' | 'DASHBOARD_PATH' | 'BUN_APM_DEV' | 'INGEST_KEYS';

const ALERT_CONFIG_VARS = [
  'SLACK_WEBHOOK_URL', 'WEBHOOK_URL', 'WEBHOOK_TOKEN', 'WEBHOOK_SECRET', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM', 'PAGERDUTY_ROUTING_KEY',
  'ALERT_RULES', 'ALERT_CHANNEL_FILTERS', 'PAGERDUTY_URL', 'DASHBOARD_URL', 'DASHBOARD_PATH', 'BUN_APM_DEV', 'INGEST_KEYS',
] as const satisfies ReadonlyArray<AlertConfigVar>;

export const readAlertConfig: (env: Pick<Env, AlertConfigVar>) => AlertConfig = cachedByVars(ALERT_CONFIG_VARS, (env: Pick<Env, AlertConfigVar>): AlertConfig => {
  // Each problem with the app it concerns ('*': every app).
  const problems: Array<[app: string, problem: string]> = [];
  const keep = (read: () => void) => {
    try {
      read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The value is not repeated (a URL may carry a token; ALERT_RULES names other apps' rules): the var and what it takes say enough.
      problems.push(['*', error.message.replace(/, got [\s\S]*$/, '')]);
    }
  };
  let rules = new Map<string, AlertRule[]>();
  keep(() => (rules = readRules(settingFromVar(WORKER.alertRules, env), problems)));
  for (const problem of rulesForNoApp(rules, env.INGEST_KEYS)) problems.push(['*', problem]);
  let filters: Partial<Record<AlertChannelType, ChannelFilters | null>> = {};
  keep(() => (filters = readFilters(settingFromVar(WORKER.alertChannelFilters, env), problems)));
  let pagerDutyUrl: string | undefined;
  keep(() => (pagerDutyUrl = settingFromVar(WORKER.pagerDutyUrl, env)));
  let fromEnv: AlertChannel[] = [];
  keep(() => (fromEnv = channelsFromEnv(env)));
  const channels: EdgeChannel[] = [];
  for (const channel of fromEnv) {
    const filter = filters[channel.type];
    // Filters that could not be read leave their channel out: sent unfiltered, it could page for what it was meant to skip.
    if (filter === null) {
      problems.push(['*', `${envName(channel.type)}: left out, its ALERT_CHANNEL_FILTERS entry could not be read`]);
      continue;
    }
    let withFilters: AlertChannel = filter ? { ...channel, filters: filter } : channel;
    if (withFilters.type === 'email') withFilters = withoutBadAddresses(withFilters, problems);
    // PAGERDUTY_URL: another Events API v2 endpoint (PagerDuty's EU service region; a local receiver).
    if (withFilters.type === 'pagerduty' && pagerDutyUrl) withFilters = { ...withFilters, config: { ...withFilters.config, url: pagerDutyUrl } };
    const invalid = validateChannel(withFilters);
    // Field names only: the values are secrets.
    if (invalid.length > 0) {
      problems.push(['*', `${envName(channel.type)}: left out: ${invalid.map((p) => `${p.field}: ${p.message}`).join('; ')}`]);
      continue;
    }
    if (channelDestinationMissing(withFilters) !== undefined) continue;
    channels.push(...perRecipient(channel.type, withFilters));
  }
  let dashboardUrl: string | undefined;
  keep(() => (dashboardUrl = dashboardPage(settingFromVar(WORKER.dashboardUrl, env), env)));
  // Listed with these, where an operator looks: an ALERT_RULE (no S) had left every rule out unsaid.
  for (const problem of unknownVars(env)) problems.push(['*', problem]);
  // Once per isolate and configuration (this function's result is cached by the vars' values).
  for (const [, problem] of problems) console.error(`bun-apm edge: alerting configuration: ${problem}`);
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
    // `BUN_APM_DEV = true` (a TOML boolean) as well as "true".
    dev: varText(env.BUN_APM_DEV) === 'true',
    problemsFor: (app) => problems.flatMap(([scope, problem]) => (scope === '*' || scope === app ? [problem] : [])),
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

const CHANNEL_TYPES = ['slack', 'webhook', 'email', 'pagerduty'] as const satisfies readonly AlertChannelType[];

function envName(type: AlertChannelType): string {
  return { slack: 'SLACK_WEBHOOK_URL', webhook: 'WEBHOOK_URL', email: 'ALERT_EMAIL_TO', pagerduty: 'PAGERDUTY_ROUTING_KEY' }[type];
}

/** `[rule, …]` (every app) or `{ "*": [rule, …], "shop": [rule, …] }`; a rule that does not validate is left out, its problem kept. */
function readRules(raw: string | undefined, problems: Array<[string, string]>): Map<string, AlertRule[]> {
  const out = new Map<string, AlertRule[]>();
  if (raw === undefined || raw.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ALERT_RULES: expected JSON (an array of rules, or an object of app → array of rules)');
  }
  const whole = Array.isArray(parsed);
  const groups: Array<[string, unknown]> = whole ? [['*', parsed]] : typeof parsed === 'object' && parsed !== null ? Object.entries(parsed) : [];
  if (groups.length === 0 && !Array.isArray(parsed)) throw new ConfigError('ALERT_RULES: expected an array of rules, or an object of app → array of rules');
  for (const [app, list] of groups) {
    if (!Array.isArray(list)) {
      problems.push([app, `ALERT_RULES.${app}: expected an array of rules`]);
      continue;
    }
    const rules: AlertRule[] = [];
    list.forEach((input, i) => {
      const result = validateRule(input);
      // Where it is as written (an array given whole has no app key), and its id when it has one.
      const id = typeof (input as { id?: unknown } | null)?.id === 'string' ? ` (rule '${((input as { id: string }).id).slice(0, 64)}')` : '';
      const at = `ALERT_RULES${whole ? '' : `.${app}`}[${i}]${id}`;
      if (!result.ok) problems.push([app, `${at}: left out: ${result.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`]);
      else if (result.rule.metric === 'custom') problems.push([app, `${at}: left out: metric custom needs a customEvaluator function, which JSON cannot hold`]);
      else if (rules.some((r) => r.id === result.rule.id)) problems.push([app, `${at}: left out: id '${result.rule.id}' is listed twice`]);
      else rules.push(result.rule);
    });
    out.set(app, rules);
  }
  return out;
}

/**
 * `{ "slack": { "severities": ["critical"] }, "webhook": { "rules": ["slow"] } }`. A type whose
 * filters do not validate maps to null (its channel is then left out); an unknown type is a problem.
 */
function readFilters(raw: string | undefined, problems: Array<[string, string]>): Partial<Record<AlertChannelType, ChannelFilters | null>> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('ALERT_CHANNEL_FILTERS: expected JSON: { "slack": { "severities": ["critical"] }, … }');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('ALERT_CHANNEL_FILTERS: expected an object of channel type → filters');
  const out: Partial<Record<AlertChannelType, ChannelFilters | null>> = {};
  for (const [key, filters] of Object.entries(parsed)) {
    if (!(CHANNEL_TYPES as readonly string[]).includes(key)) {
      problems.push(['*', `ALERT_CHANNEL_FILTERS.${key}: expected slack, webhook, email or pagerduty`]);
      continue;
    }
    const invalid = validateChannel({ type: key, config: {}, filters });
    if (invalid.length > 0) problems.push(['*', `ALERT_CHANNEL_FILTERS.${key}: ${invalid.map((p) => `${p.field}: ${p.message}`).join('; ')}`]);
    out[key as AlertChannelType] = invalid.length > 0 ? null : (filters as ChannelFilters);
  }
  return out;
}

/**
 * Rules listed under an app no ingest key writes to: they run for no app. A misspelt app name
 * (`opsap`) had left its rules out with nothing said (a review). Told to every app (the name may be
 * any app's misspelling); the apps are INGEST_KEYS' `app:key` names, its keys never read here.
 */
function rulesForNoApp(rules: ReadonlyMap<string, AlertRule[]>, ingestKeys: string | undefined): string[] {
  const apps = [...new Set(listedEntries(ingestKeys).map((entry) => entry.app).filter(Boolean))];
  if (apps.length === 0) return [];
  return [...rules.keys()].filter((app) => app !== '*' && !apps.includes(app)).map((app) =>
    `ALERT_RULES.${app.slice(0, 64)}: no app of that name has an ingest key (INGEST_KEYS), so its rules run for none${didYouMean(app.slice(0, 64), apps)}`);
}

/**
 * ALERT_EMAIL_TO's recipients that are addresses: one mistyped address had left the whole channel
 * out, and the problem listed did not say which (a review). The others still get the alerts; the
 * bad one is named by its place, not its text (the list may be private).
 */
function withoutBadAddresses(channel: AlertChannel & { type: 'email' }, problems: Array<[string, string]>): AlertChannel {
  const to = emailList(channel.config.email);
  if (to === undefined) return channel;
  const good: string[] = [];
  const bad: number[] = [];
  to.forEach((email, i) => (isAddress(email) ? good.push(email) : bad.push(i + 1)));
  if (bad.length === 0) return channel;
  const which = bad.length === 1 ? `address ${bad[0]}` : `addresses ${bad.join(', ')}`;
  problems.push(['*', `ALERT_EMAIL_TO: ${which} of ${to.length} ${bad.length === 1 ? 'is not an email address' : 'are not email addresses'} and ${bad.length === 1 ? 'gets' : 'get'} no alerts${good.length > 0 ? '; the others do' : ''}`]);
  return { ...channel, config: { ...channel.config, email: good } };
}

/**
 * DASHBOARD_URL as notifications link it: given as the Worker's address alone
 * (`https://apm.example.workers.dev`), the dashboard under it, at DASHBOARD_PATH (a review: every
 * notification linked to the Worker's 404). A URL with a path of its own is taken as it is.
 */
function dashboardPage(url: string | undefined, env: Pick<Env, 'DASHBOARD_PATH'>): string | undefined {
  if (url === undefined) return undefined;
  let page: URL | undefined;
  try {
    page = new URL(url);
  } catch {
    page = undefined;
  }
  // Any other scheme (`javascript:`) had been left out of the links with nothing said (a review).
  if (page === undefined || (page.protocol !== 'https:' && page.protocol !== 'http:')) {
    throw new ConfigError('DASHBOARD_URL: expected an http(s) URL of the dashboard; notifications carry no dashboard link until it is one');
  }
  if (page.pathname !== '/') return url;
  let path: string = WORKER.dashboardPath.default;
  try {
    path = settingFromVar(WORKER.dashboardPath, env);
  } catch {
    // a bad DASHBOARD_PATH is named by the edge's settings check; the default stands here
  }
  page.pathname = path;
  return page.href;
}
