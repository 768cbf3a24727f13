// Alerting inside one app's AppStore, put together: the rule catalog (code, ALERT_RULES, API), the
// engine over the SQLite store, the outbox, and the cron's tick. Every action that produces
// notifications commits them to the outbox first, then awaits their delivery within the outbox's
// time budget; what is not delivered by then goes on later ticks.
import { AlertEngine } from '../../core/alerts/alert-engine.ts';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import type { Outbox } from '../../core/alerts/outbox.ts';
import type { Sql } from '../store/sql.ts';
import type { AlertConfig } from './alert-config.ts';
import * as tables from './alert-tables.ts';
import { AlertTick, type RemoteAlertData, type TickReport } from './alert-tick.ts';
import type { CodeRules } from './code-rules.ts';
import { edgeOutbox, type EdgeOutboxOptions } from './outbox.ts';
import { RuleCatalog, type ListedRule, type RuleChange } from './rule-catalog.ts';

export type { ListedRule, RuleChange, RuleSource } from './rule-catalog.ts';
export type { TickReport } from './alert-tick.ts';

export interface AlertsView {
  /** Alerts firing now (also while their rule errors): `id` is what resolveAlert takes. */
  active: AlertNotification[];
  /** Notifications newest first, each with its deliveries per channel. */
  history: Array<AlertNotification & { deliveries: tables.DeliveryRecord[] }>;
  /** What the configuration left out for this app (a rule or channel that did not validate). */
  configProblems: string[];
}

export interface EdgeAlertingOptions {
  sql: Sql;
  /** The app the store holds (learnt from its name or its first tick). */
  app: () => string;
  /** alerts.config.ts's rules, from the Worker entry. */
  codeRules: CodeRules;
  config: () => AlertConfig;
  sendEmail: EdgeOutboxOptions['sendEmail'];
  /** The app's other shards' data, when it has several (this store is shard 0). */
  remote?: RemoteAlertData;
}

export class EdgeAlerting {
  private readonly catalog: RuleCatalog;
  private readonly engine: AlertEngine;
  private readonly outbox: Outbox;
  private readonly ticks: AlertTick;

  constructor(private readonly options: EdgeAlertingOptions) {
    const { sql, app, codeRules, config } = options;
    this.catalog = new RuleCatalog({ sql, app, codeRules, config });
    const store = new tables.SqlAlertStore(sql, () => this.catalog.rules());
    this.engine = new AlertEngine({ store, context: () => ({ app: app() }), channels: () => config().channels });
    this.outbox = edgeOutbox({ sql, config, sendEmail: options.sendEmail });
    this.ticks = new AlertTick({ sql, store, engine: this.engine, outbox: this.outbox, ...(options.remote && { remote: options.remote }) });
  }

  /** An ingest wrote rollup cells of these minutes. */
  cellsChanged(minutes: Iterable<number>): void {
    this.ticks.cellsChanged(minutes);
  }

  /** Maintenance changed the tables. */
  tablesChanged(): void {
    this.ticks.tablesChanged();
  }

  /** Evaluate once per scheduled time (a minute's start), then deliver what is due. */
  tick(scheduledTime: number): Promise<TickReport> {
    return this.ticks.run(scheduledTime);
  }

  /**
   * Whether this store has alerting work every minute: a rule to evaluate, an alert that only an
   * evaluation can close, or a delivery waiting. Stores without any are never woken for alerting.
   */
  active(): boolean {
    const { sql } = this.options;
    return this.catalog.rules().length > 0 || tables.hasStates(sql) || tables.hasPendingDeliveries(sql);
  }

  /** Every rule as JSON, in the catalog's order. */
  rules(): ListedRule[] {
    return this.catalog.listed();
  }

  addRule(input: unknown, now: number): RuleChange {
    return this.catalog.add(input, now);
  }

  updateRule(id: string, patch: unknown, now: number): RuleChange {
    return this.catalog.update(id, patch, now);
  }

  /** Removes an API rule; an alert it had open is resolved ("rule removed") and notified. */
  async removeRule(id: string, now: number): Promise<RuleChange> {
    const found = this.catalog.editable(id);
    const shadowed = found.ok ? undefined : this.catalog.removeShadowed(id);
    if (shadowed !== undefined) return { ok: true, rule: { ...shadowed, source: 'api' } };
    if (!found.ok) return found;
    this.engine.removeRule(found.rule, now);
    await this.outbox.deliverDue(now);
    return { ok: true, rule: { ...found.rule, source: 'api' } };
  }

  alerts(limit = 100): AlertsView {
    return { active: this.engine.activeAlerts(), history: tables.history(this.options.sql, limit), configProblems: this.catalog.problems() };
  }

  /** Resolves an open alert by hand and notifies; null when no open (or pending) alert has this id. */
  async resolveAlert(alertId: string, now: number): Promise<AlertNotification | null> {
    const resolved = this.engine.resolveAlert(alertId, now);
    if (resolved !== null) await this.outbox.deliverDue(now);
    return resolved;
  }
}
