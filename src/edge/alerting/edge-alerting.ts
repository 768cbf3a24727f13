// Alerting inside one app's AppStore: rules (ALERT_RULES + API), their states, evaluation on the
// cron's tick (idempotent per scheduled minute), the outbox and its deliveries, manual resolve.
// Evaluation writes states, history and outbox rows in one transaction keyed on the scheduled
// time; deliveries happen after it commits and are retried with backoff on later ticks.
import { activeAlert } from '../../core/alerts/active-alert.ts';
import { requiredSince } from '../../core/alerts/alert-data.ts';
import { AlertDataIndex } from '../../core/alerts/alert-data-index.ts';
import { channelAccepts } from '../../core/alerts/channel.ts';
import { evaluateRules } from '../../core/alerts/evaluate-rules.ts';
import { buildNotification, type AlertNotification } from '../../core/alerts/notification.ts';
import { isGaugeMetric, resolveRule, type AlertRule } from '../../core/alerts/rule.ts';
import { SketchCache } from '../../core/alerts/sketch-cache.ts';
import { resolveRuleAlert, retireRule, type Transition } from '../../core/alerts/step-rule.ts';
import { validateRule, validateRuleUpdate, type RuleProblem } from '../../core/alerts/validate-rule.ts';
import { MINUTE_MS } from '../../core/rollup.ts';
import { getMetaNumber, setMeta } from '../store/meta.ts';
import type { Sql } from '../store/sql.ts';
import type { AlertConfig } from './alert-config.ts';
import * as tables from './alert-tables.ts';
import { deliver, type DeliveryContext } from './deliver.ts';
import '../alerts.config.ts';
import { codeRulesFor } from './code-rules.ts';
import { AlertDataLoader } from './load-alert-data.ts';

/** A delivery is given up this long after its notification. */
const DELIVERY_EXPIRY_MS = 24 * 60 * MINUTE_MS;
/** Wait after the 1st, 2nd, … failed attempt; the last repeats. */
const RETRY_BACKOFF_MS = [1, 1, 2, 5, 10, 30, 60].map((m) => m * MINUTE_MS);
/** Deliveries attempted per tick at most (each has its own 5 s timeout; they run in parallel). */
const DELIVERIES_PER_TICK = 50;
/** Finished deliveries and history are kept this long. */
const HISTORY_MS = 7 * 24 * 60 * MINUTE_MS;
const MAX_API_RULES = 500;

/** `code`: src/edge/alerts.config.ts; `config`: the ALERT_RULES var; `api`: added through the API. */
export type RuleSource = 'code' | 'config' | 'api';
/** A rule as JSON (a code rule's customEvaluator is left out) and where it comes from. */
export type ListedRule = Omit<AlertRule, 'customEvaluator'> & { source: RuleSource };
export type RuleChange =
  | { ok: true; rule: ListedRule }
  | { ok: false; status: 400 | 404 | 409 | 422; code: string; message: string; problems?: RuleProblem[] };

export interface AlertsView {
  /** Alerts firing now (also while their rule errors): `id` is what resolveAlert takes. */
  active: AlertNotification[];
  /** Notifications newest first, each with its deliveries per channel. */
  history: Array<AlertNotification & { deliveries: tables.DeliveryRecord[] }>;
}

export interface TickReport {
  /** False when this scheduled time (or a later one) was already evaluated. */
  evaluated: boolean;
  notifications: number;
  delivered: number;
  failed: number;
}

export interface EdgeAlertingOptions {
  sql: Sql;
  /** The app the store holds (learnt from its name or its first tick). */
  app: () => string;
  config: () => AlertConfig;
  delivery: () => Omit<DeliveryContext, 'now' | 'dev' | 'dashboardUrl'>;
}

export class EdgeAlerting {
  private readonly cache = new SketchCache();
  private readonly loader = new AlertDataLoader();
  private delivering: Promise<{ delivered: number; failed: number }> | null = null;

  constructor(private readonly options: EdgeAlertingOptions) {}

  private get sql(): Sql {
    return this.options.sql;
  }

  /** An ingest wrote rollup cells of these minutes (the loader re-reads them). */
  cellsChanged(minutes: Iterable<number>): void {
    this.loader.cellsChanged(minutes);
  }

  /** Maintenance changed the tables: cells are read afresh. */
  tablesChanged(): void {
    this.loader.forget();
  }

  /** Every rule as JSON: alerts.config.ts's first, then ALERT_RULES's, then the API's (a repeated id keeps the first). */
  rules(): ListedRule[] {
    return this.sourcedRules().map(({ rule, source }) => {
      const { customEvaluator: _code, ...json } = rule;
      return { ...json, source };
    });
  }

  private sourcedRules(): Array<{ rule: AlertRule; source: RuleSource }> {
    const app = this.options.app();
    const out: Array<{ rule: AlertRule; source: RuleSource }> = [];
    const ids = new Set<string>();
    const add = (rules: AlertRule[], source: RuleSource) => {
      for (const rule of rules) {
        if (ids.has(rule.id)) continue;
        ids.add(rule.id);
        out.push({ rule, source });
      }
    };
    add(codeRulesFor(app), 'code');
    add(this.options.config().rulesFor(app), 'config');
    add(tables.listStoredRules(this.sql), 'api');
    return out;
  }

  addRule(input: unknown, now: number): RuleChange {
    const result = validateRule(input);
    if (!result.ok) return invalid(result.problems);
    const rule = result.rule;
    if (rule.metric === 'custom') return invalid([{ field: 'metric', message: 'custom rules need a customEvaluator function, which JSON cannot carry: write them in src/edge/alerts.config.ts' }]);
    const fixed = this.fixedSource(rule.id);
    if (fixed) return { ok: false, status: 409, code: 'rule_exists', message: `rule '${rule.id}' comes from ${fixed}; change it there` };
    if (tables.getStoredRule(this.sql, rule.id)) return { ok: false, status: 409, code: 'rule_exists', message: `rule '${rule.id}' exists; PATCH it or DELETE it first` };
    if (tables.listStoredRules(this.sql).length >= MAX_API_RULES) return { ok: false, status: 409, code: 'too_many_rules', message: `at most ${MAX_API_RULES} rules per app` };
    tables.putStoredRule(this.sql, rule, now);
    return { ok: true, rule: { ...rule, source: 'api' } };
  }

  updateRule(id: string, patch: unknown, now: number): RuleChange {
    const found = this.editable(id);
    if (!found.ok) return found;
    const result = validateRuleUpdate(found.rule, patch);
    if (!result.ok) return invalid(result.problems);
    if (result.rule.metric === 'custom') return invalid([{ field: 'metric', message: 'custom rules need a customEvaluator function, which JSON cannot carry: write them in src/edge/alerts.config.ts' }]);
    // A rule switched off closes its open alert at the next tick (the engine's retireRule).
    tables.putStoredRule(this.sql, result.rule, now);
    return { ok: true, rule: { ...result.rule, source: 'api' } };
  }

  /** Removes the rule; an alert it had open is resolved ("rule removed") and notified. */
  removeRule(id: string, now: number): RuleChange {
    const found = this.editable(id);
    if (!found.ok) return found;
    const stored = tables.readStates(this.sql).get(id);
    this.sql.transaction(() => {
      tables.deleteStoredRule(this.sql, id);
      tables.deleteState(this.sql, id);
      if (stored) this.enqueueAll(retireRule(resolveRule(found.rule), stored.state, now, 'rule removed', { app: this.options.app() }).notifications, now);
    });
    void this.deliverDue(now);
    return { ok: true, rule: { ...found.rule, source: 'api' } };
  }

  alerts(limit = 100): AlertsView {
    const states = tables.readStates(this.sql);
    const active: AlertNotification[] = [];
    for (const { rule } of this.sourcedRules()) {
      const stored = states.get(rule.id);
      const alert = stored ? activeAlert(rule, stored.state, { app: this.options.app() }) : null;
      if (alert !== null) active.push(alert);
    }
    return { active, history: tables.history(this.sql, limit) };
  }

  /** Resolves an open alert by hand and notifies; null when no open (or pending) alert has this id. */
  resolveAlert(alertId: string, now: number): AlertNotification | null {
    const states = tables.readStates(this.sql);
    for (const { rule } of this.sourcedRules()) {
      const stored = states.get(rule.id);
      if (stored?.state.alertId !== alertId) continue;
      const transition: Transition | null = resolveRuleAlert(resolveRule(rule), stored.state, alertId, now, { app: this.options.app() });
      if (transition === null) return null;
      this.sql.transaction(() => {
        tables.writeState(this.sql, transition.state, rule);
        this.enqueueAll(transition.notifications, now);
      });
      void this.deliverDue(now);
      // A pending alert resolves without a notification (none was sent for it): answer with its snapshot.
      return transition.notifications[0] ?? buildNotification(resolveRule(rule), transition.state, 'resolved', now, { app: this.options.app() });
    }
    return null;
  }

  /** The cron's tick: evaluate once per scheduled time, then deliver what is due. */
  async tick(scheduledTime: number): Promise<TickReport> {
    let notifications: number | null;
    try {
      notifications = this.evaluate(scheduledTime);
    } catch (error) {
      // Nothing of this evaluation was stored (one transaction); what earlier ticks queued still goes out.
      await this.deliverDue(scheduledTime);
      throw error;
    }
    const { delivered, failed } = await this.deliverDue(scheduledTime);
    return { evaluated: notifications !== null, notifications: notifications ?? 0, delivered, failed };
  }

  /** Number of notifications produced, or null when `now` was already evaluated. */
  private evaluate(now: number): number | null {
    const last = getMetaNumber(this.sql, 'last_alert_tick');
    if (last !== null && now <= last) return null;
    const rules = this.sourcedRules().map(({ rule }) => rule);
    const stored = tables.readStates(this.sql);
    const since = requiredSince(rules, now);
    const custom = rules.filter((rule) => rule.metric === 'custom' && rule.enabled !== false);
    this.cache.prune(since);
    const previous = Object.fromEntries([...stored].map(([id, s]) => [id, s.state]));
    const context = { app: this.options.app() };
    const { states, notifications } = rules.length === 0
      ? { states: {}, notifications: [] as AlertNotification[] }
      : evaluateRules(rules, new AlertDataIndex(this.loader.load(this.sql, {
        since,
        now,
        profilesSince: requiredSince(rules.filter((r) => isGaugeMetric(r.metric)), now),
        samplesSince: custom.length > 0 ? requiredSince(custom, now) : null,
      }), this.cache), previous, now, context);
    const live = new Set(rules.map((rule) => rule.id));
    // A rule gone from ALERT_RULES closes its open alert, as one removed through the API does.
    const orphans = [...stored].filter(([id]) => !live.has(id));
    for (const [, { rule, state }] of orphans) notifications.push(...retireRule(resolveRule(rule), state, now, 'rule removed', context).notifications);
    this.sql.transaction(() => {
      for (const rule of rules) if (states[rule.id]) tables.writeState(this.sql, states[rule.id]!, rule);
      for (const [id] of orphans) tables.deleteState(this.sql, id);
      this.enqueueAll(notifications, now);
      tables.pruneAlerting(this.sql, now - HISTORY_MS);
      setMeta(this.sql, 'last_alert_tick', now);
    });
    return notifications.length;
  }

  private enqueueAll(notifications: readonly AlertNotification[], now: number): void {
    const channels = this.options.config().channels;
    for (const n of notifications) {
      const accepting = channels.filter(({ channel }) => channelAccepts(channel, n)).map(({ name }) => name);
      tables.enqueue(this.sql, n, accepting, now, n.timestamp + DELIVERY_EXPIRY_MS);
    }
  }

  /** One delivery pass at a time: a second caller waits for the running one instead of sending twice. */
  deliverDue(now: number): Promise<{ delivered: number; failed: number }> {
    if (this.delivering !== null) return this.delivering;
    this.delivering = this.deliverPass(now).finally(() => {
      this.delivering = null;
    });
    return this.delivering;
  }

  private async deliverPass(now: number): Promise<{ delivered: number; failed: number }> {
    tables.expireDeliveries(this.sql, now);
    const due = tables.dueDeliveries(this.sql, now, DELIVERIES_PER_TICK);
    if (due.length === 0) return { delivered: 0, failed: 0 };
    const config = this.options.config();
    const context: DeliveryContext = { ...this.options.delivery(), dev: config.dev, now, ...(config.dashboardUrl !== undefined && { dashboardUrl: config.dashboardUrl }) };
    let delivered = 0;
    let failed = 0;
    await Promise.all(due.map(async (row) => {
      const channel = config.channels.find((c) => c.name === row.channel);
      const attempt = channel === undefined
        ? { ok: false as const, retryable: false, reason: 'channel no longer configured' }
        : await deliver(channel, row.notification, context);
      if (attempt.ok) {
        delivered++;
        tables.markSent(this.sql, row, now);
        return;
      }
      failed++;
      const wait = RETRY_BACKOFF_MS[Math.min(row.attempts, RETRY_BACKOFF_MS.length - 1)]!;
      tables.markFailed(this.sql, row, now, attempt.reason, attempt.retryable ? now + wait : null, attempt.retryable ? 'expired' : 'rejected');
      console.warn(`bun-apm edge: alert delivery to ${row.channel} failed (${attempt.reason})${attempt.retryable ? '; retried on a later tick' : '; not retried'}`);
    }));
    return { delivered, failed };
  }

  /** Where a rule that the API may not change comes from, if it does. */
  private fixedSource(id: string): string | undefined {
    if (codeRulesFor(this.options.app()).some((rule) => rule.id === id)) return 'alerts.config.ts';
    if (this.options.config().rulesFor(this.options.app()).some((rule) => rule.id === id)) return 'ALERT_RULES';
    return undefined;
  }

  private editable(id: string): { ok: true; rule: AlertRule } | Extract<RuleChange, { ok: false }> {
    const fixed = this.fixedSource(id);
    if (fixed) return { ok: false, status: 409, code: 'rule_from_config', message: `rule '${id}' comes from ${fixed}; change it there` };
    const rule = tables.getStoredRule(this.sql, id);
    if (rule === undefined) return { ok: false, status: 404, code: 'not_found', message: `no rule '${id}'` };
    return { ok: true, rule };
  }
}

function invalid(problems: RuleProblem[]): RuleChange {
  return { ok: false, status: 422, code: 'invalid_rule', message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems };
}
