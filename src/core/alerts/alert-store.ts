// What the alert engine keeps between evaluations, behind one interface: the in-process alerting
// keeps it in memory (MemoryAlertStore, below), the edge in its Durable Object's SQLite
// (SqlAlertStore, edge/alerting/alert-tables.ts). The engine reads rules and states and hands back one change
// per step, which the store applies whole: states, removals and the notifications with the
// channels each goes to (the edge's outbox, the in-process delivery).
import type { AlertNotification } from './notification.ts';
import type { RuleState } from './rule-state.ts';
import type { AlertRule } from './rule.ts';

/** A rule's state and the rule as it was when the state was computed (a rule that is gone is still known by it). */
export interface StoredRuleState {
  rule: AlertRule;
  state: RuleState;
}

/** A notification and the names of the channels that take it. */
export interface RoutedNotification {
  notification: AlertNotification;
  channels: string[];
}

export interface AlertChange {
  now: number;
  /** States to keep, each with the rule it was computed with. */
  states: StoredRuleState[];
  /** Rules whose state goes (their rule is gone). */
  dropped: string[];
  /** A rule removed by this change: it goes from the store's own rules too. */
  removedRule?: string;
  /** In the order produced. */
  notifications: RoutedNotification[];
  /** Set when the change is a tick's evaluation at this time. */
  evaluatedAt?: number;
}

export interface AlertStore {
  /** The rules to evaluate, in order (ids unique). */
  rules(): readonly AlertRule[];
  states(): ReadonlyMap<string, StoredRuleState>;
  /** Applies the change as one unit: all of it or none. */
  commit(change: AlertChange): void;
}

export interface MemoryAlertStoreOptions {
  /** Notifications kept for history(); the oldest go first. */
  maxNotifications: number;
  /** Called once per committed change that produced notifications, after the change is applied. */
  deliver: (notifications: readonly RoutedNotification[]) => void;
}

/** The in-process store: rules, states and the latest notifications in memory (bounded); each committed change's notifications go to the host's delivery. */
export class MemoryAlertStore implements AlertStore {
  private readonly byId = new Map<string, AlertRule>();
  private readonly stored = new Map<string, StoredRuleState>();
  private kept: AlertNotification[] = [];

  constructor(private readonly options: MemoryAlertStoreOptions) {}

  rules(): readonly AlertRule[] {
    return [...this.byId.values()];
  }

  rule(id: string): AlertRule | undefined {
    return this.byId.get(id);
  }

  /** Adds the rule, or replaces the one with its id (its state is kept). */
  putRule(rule: AlertRule): void {
    this.byId.set(rule.id, rule);
  }

  states(): ReadonlyMap<string, StoredRuleState> {
    return this.stored;
  }

  /** Every notification committed, oldest first (at most maxNotifications). */
  history(): AlertNotification[] {
    return [...this.kept];
  }

  commit(change: AlertChange): void {
    for (const entry of change.states) this.stored.set(entry.rule.id, entry);
    for (const id of change.dropped) this.stored.delete(id);
    if (change.removedRule !== undefined) this.byId.delete(change.removedRule);
    if (change.notifications.length === 0) return;
    for (const { notification } of change.notifications) this.kept.push(notification);
    if (this.kept.length > this.options.maxNotifications) this.kept = this.kept.slice(-this.options.maxNotifications);
    this.options.deliver(change.notifications);
  }
}
