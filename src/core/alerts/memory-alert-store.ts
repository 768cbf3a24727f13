// The AlertStore of the in-process alerting: rules, states and the latest notifications in memory
// (bounded), each committed change's notifications handed to the host's delivery.
import type { AlertChange, AlertStore, RoutedNotification, StoredRuleState } from './alert-store.ts';
import type { AlertNotification } from './notification.ts';
import type { AlertRule } from './rule.ts';

export interface MemoryAlertStoreOptions {
  /** Notifications kept for history(); the oldest go first. */
  maxNotifications: number;
  /** Called once per committed change that produced notifications, after the change is applied. */
  deliver: (notifications: readonly RoutedNotification[]) => void;
}

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
