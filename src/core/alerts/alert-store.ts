// What the alert engine keeps between evaluations, behind one interface: the in-process alerting
// keeps it in memory (memory-alert-store.ts), the edge in its Durable Object's SQLite
// (edge/alerting/sql-alert-store.ts). The engine reads rules and states and hands back one change
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
