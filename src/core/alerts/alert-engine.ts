// The alert engine both hosts run: evaluation of every rule over one tick's data, active alerts,
// manual resolve and rule removal, over an AlertStore (memory in-process, SQLite at the edge).
// Transitions come from step-rule.ts; each step is handed to the store as one change, with every
// notification already routed to the channels whose filters take it. Delivery is the host's.
import { requiredSince, type AlertData } from './alert-data.ts';
import type { AlertDataIndex } from './alert-data-index.ts';
import type { AlertStore, RoutedNotification, StoredRuleState } from './alert-store.ts';
import { channelAccepts, type AlertChannel } from './channel.ts';
import { evaluateRules } from './evaluate-rules.ts';
import { buildNotification, type AlertNotification, type NotificationContext } from './notification.ts';
import { isActive, type RuleState } from './rule-state.ts';
import { isGaugeMetric, resolveRule, type AlertRule } from './rule.ts';
import { resolveRuleAlert, retireRule } from './step-rule.ts';

/** What one evaluation needs read, each list from its own start up to `now`. */
export interface DataRequest {
  now: number;
  /** Rollup cells (and everything a window reads) from here. */
  since: number;
  /** Profiles from here (gauge rules' windows). */
  profilesSince: number;
  /** Detail records from here (custom rules); null: none needed. */
  samplesSince: number | null;
  /** False when there is no rule at all: a source may answer with nothing (it still learns `since`, to forget older data). */
  anyRule: boolean;
}

/** A host's data: its store's rollups and profiles, or the app's own recent requests. */
export type AlertDataSource = (request: DataRequest) => AlertData | AlertDataIndex;

/** A channel under the name the host's delivery knows it by. */
export interface NamedChannel {
  name: string;
  channel: AlertChannel;
}

export interface AlertEngineOptions {
  store: AlertStore;
  /** The app named in every notification (read at each step: the edge learns it late). */
  context: () => NotificationContext;
  /** The channels notifications may go to (read at each step: they can change). */
  channels: () => readonly NamedChannel[];
}

export class AlertEngine {
  constructor(private readonly options: AlertEngineOptions) {}

  private get store(): AlertStore {
    return this.options.store;
  }

  /**
   * Evaluates every rule at `now` and commits the new states and their notifications. A state
   * whose rule is gone (removed from a host's configuration) closes its open alert ("rule removed");
   * one whose rule now measures something else closes it as opened ("rule changed"), and the rule
   * is evaluated afresh, from no state.
   *
   * @example
   * const sent = engine.evaluate(scheduledTime, (request) => loadData(request));
   */
  evaluate(now: number, source: AlertDataSource): AlertNotification[] {
    const rules = this.store.rules();
    const stored = this.store.states();
    const context = this.options.context();
    const data = source(dataRequest(rules, now));
    const byId = new Map(rules.map((rule) => [rule.id, rule]));
    const previous: Record<string, RuleState> = {};
    const retired: RoutedNotification[] = [];
    for (const [id, { rule, state }] of stored) {
      const current = byId.get(id);
      if (current !== undefined && !definitionChanged(rule, current)) {
        previous[id] = state;
        continue;
      }
      // A changed rule is a new definition: it starts from no state (the retired alert's cooldown or hold is not its own).
      const closed = retireRule(resolveRule(rule), state, now, current === undefined ? 'rule removed' : 'rule changed', context);
      retired.push(...this.route(closed.notifications, () => closed.state));
    }
    const { states, notifications } = rules.length === 0 ? { states: {}, notifications: [] as AlertNotification[] } : evaluateRules(rules, data, previous, now, context);
    this.store.commit({
      now,
      states: rules.filter((rule) => states[rule.id] !== undefined).map((rule) => ({ rule, state: states[rule.id]! })),
      dropped: [...stored.keys()].filter((id) => !byId.has(id)),
      notifications: [...retired, ...this.route(notifications, (id) => states[id])],
      evaluatedAt: now,
    });
    return [...retired.map(({ notification }) => notification), ...notifications];
  }

  /** Alerts firing now (also while their rule errors): `id` is what resolveAlert takes. */
  activeAlerts(): AlertNotification[] {
    const states = this.store.states();
    const context = this.options.context();
    const active: AlertNotification[] = [];
    for (const rule of this.store.rules()) {
      const stored = states.get(rule.id);
      const alert = stored === undefined ? null : activeAlert(openedUnder(rule, stored), stored.state, context);
      if (alert !== null) active.push(alert);
    }
    return active;
  }

  /**
   * Resolves an open (or pending) alert by hand and commits its notification. Returns the resolved
   * alert (a pending one, which was never announced, as a snapshot), or null when no rule has it open.
   */
  resolveAlert(alertId: string, now: number): AlertNotification | null {
    const states = this.store.states();
    const context = this.options.context();
    for (const rule of this.store.rules()) {
      const stored = states.get(rule.id);
      if (stored?.state.alertId !== alertId) continue;
      const resolved = resolveRule(openedUnder(rule, stored));
      const transition = resolveRuleAlert(resolved, stored.state, alertId, now, context);
      if (transition === null) return null;
      this.store.commit({ now, states: [{ rule, state: transition.state }], dropped: [], notifications: this.route(transition.notifications, () => transition.state) });
      return transition.notifications[0] ?? buildNotification(resolved, transition.state, 'resolved', now, context);
    }
    return null;
  }

  /** Removes the rule from the store; an alert it had open resolves ("rule removed", described as opened) and is notified. */
  removeRule(rule: AlertRule, now: number): AlertNotification[] {
    const stored = this.store.states().get(rule.id);
    const { notifications, state } = retireRule(resolveRule(stored === undefined ? rule : openedUnder(rule, stored)), stored?.state, now, 'rule removed', this.options.context());
    this.store.commit({ now, states: [], dropped: [rule.id], removedRule: rule.id, notifications: this.route(notifications, () => state) });
    return notifications;
  }

  /**
   * Each notification to the channels whose filters take it; a resolve, to those its firings
   * reached, which the firing's state keeps (a channel configured only after the firing had been
   * sent a resolve of an alert it never saw: a review), among those whose filters take it now. A
   * state kept before `reached` existed resolves to every channel one of its announced severities
   * reaches now.
   */
  private route(notifications: readonly AlertNotification[], stateOf: (ruleId: string) => RuleState | undefined): RoutedNotification[] {
    const channels = notifications.length === 0 ? [] : this.options.channels();
    return notifications.map((notification) => {
      const state = stateOf(notification.ruleId);
      // A state read back from storage: only a list is one.
      const reached = Array.isArray(state?.reached) ? state.reached : undefined;
      const resolved = notification.state === 'resolved';
      const severities = (resolved && state?.announced) || [notification.severity];
      const names = channels.filter(({ channel }) => severities.some((severity) => channelAccepts(channel, { ...notification, severity }))).map(({ name }) => name);
      if (resolved) return { notification, channels: reached ? names.filter((name) => wasReached(name, reached)) : names };
      // Kept on the state committed with this notification, for its resolve.
      if (notification.state === 'firing' && state !== undefined) state.reached = [...new Set([...(reached ?? []), ...names])];
      return { notification, channels: names };
    });
  }
}

/**
 * Whether channel `name` now is one a firing reached. The edge names one email recipient `email`
 * and each of several `email:<key>`, and a row queued for one goes to the recipients listed when it
 * is sent: across a change between one and several, which address got the firing cannot be told, so
 * every one gets the resolve; between several and several, only the same addresses (a review: a
 * recipient added later had got a resolve of an alert it never saw).
 */
function wasReached(name: string, reached: readonly string[]): boolean {
  if (reached.includes(name)) return true;
  if (name.startsWith('email:')) return reached.includes('email');
  return name === 'email' && reached.some((other) => other.startsWith('email:'));
}

/** Whether the rule now measures something else than `before`: an alert opened under it would be mislabelled. */
function definitionChanged(before: AlertRule, after: AlertRule): boolean {
  const [a, b] = [resolveRule(before), resolveRule(after)];
  return (['metric', 'condition', 'threshold', 'duration', 'route', 'method', 'instance'] as const).some((key) => a[key] !== b[key]);
}

/** The rule an open alert is described by: the one it was opened under until the next evaluation closes it. */
function openedUnder(rule: AlertRule, stored: StoredRuleState): AlertRule {
  return definitionChanged(stored.rule, rule) ? stored.rule : rule;
}

/** What the enabled rules read at `now`: the edge loads cells, profiles and samples from these times on. */
export function dataRequest(rules: readonly AlertRule[], now: number): DataRequest {
  const custom = rules.filter((rule) => rule.metric === 'custom' && rule.enabled !== false);
  return {
    now,
    since: requiredSince(rules, now),
    profilesSince: requiredSince(rules.filter((rule) => isGaugeMetric(rule.metric)), now),
    samplesSince: custom.length > 0 ? requiredSince(custom, now) : null,
    anyRule: rules.length > 0,
  };
}

/**
 * The firing alert of a rule (also while its evaluator errors), or null when none is open. Its
 * `id` is what resolveAlert takes; `value` is the latest, `startsAt` when it started firing.
 */
export function activeAlert(rule: AlertRule, state: RuleState, context: NotificationContext = {}): AlertNotification | null {
  if (!isActive(state)) return null;
  const at = state.lastEvaluatedAt ?? state.firingSince ?? 0;
  const snapshot = buildNotification(resolveRule(rule), state, 'firing', at, context);
  if (state.status === 'error' && state.error !== undefined) snapshot.error = state.error;
  return snapshot;
}
