// What a transition produces for the channels: one self-contained, JSON-serialisable notification.
import { describeMetric, formatDuration, formatThreshold, formatValueBeside } from './format.ts';
import type { ResolvedBy, RuleState } from './rule-state.ts';
import type { AlertCondition, AlertMetric, AlertSeverity, ResolvedRule } from './rule.ts';

export type NotificationState = 'firing' | 'resolved' | 'error';

export interface AlertNotification {
  /** The alert's id (the same for its firing and resolved notifications): what resolveAlert takes. */
  id: string;
  /** Unique per notification, stable across retries: `${id}:${state}:${timestamp}`. */
  key: string;
  ruleId: string;
  ruleName: string;
  description?: string;
  app?: string;
  severity: AlertSeverity;
  state: NotificationState;
  metric: AlertMetric;
  condition: AlertCondition;
  threshold: number;
  /** The metric's value (null: no data, or the rule errored). */
  value: number | null;
  /** The rule's evaluation window, ms. */
  window: number;
  route?: string;
  method?: string;
  /**
   * The instance the rule watches (`rule.instance`), or else the one `value` was measured on: for
   * memory, CPU and event-loop lag, the instance with the highest mean over the window.
   */
  instance?: string;
  /** When the alert started firing (or the rule started erroring). */
  startsAt: number;
  /** When it resolved. */
  endsAt?: number;
  /** When this notification was produced. */
  timestamp: number;
  /** A reminder for a still-firing alert that was already announced (repeatInterval). */
  repeat?: boolean;
  resolvedBy?: ResolvedBy;
  error?: string;
  /** One line saying what happened, for chat and subjects. */
  message: string;
}

export interface NotificationContext {
  /** The app the rules watch, shown in every channel. */
  app?: string;
}

export function buildNotification(
  rule: ResolvedRule,
  state: RuleState,
  kind: NotificationState,
  now: number,
  context: NotificationContext,
  repeat = false,
): AlertNotification {
  const id = kind === 'error' ? `${rule.id}-error-${state.errorSince ?? now}` : state.alertId ?? `${rule.id}-${now}`;
  const notification: AlertNotification = {
    id,
    key: `${id}:${kind}:${now}`,
    ruleId: rule.id,
    ruleName: rule.name,
    severity: kind === 'resolved' ? (state.announced?.at(-1) ?? rule.severity) : rule.severity,
    state: kind,
    metric: rule.metric,
    condition: rule.condition,
    threshold: rule.threshold,
    value: state.value,
    window: rule.duration,
    startsAt: kind === 'error' ? (state.errorSince ?? now) : (state.firingSince ?? state.pendingSince ?? now),
    timestamp: now,
    message: '',
  };
  if (rule.description !== undefined) notification.description = rule.description;
  if (context.app !== undefined) notification.app = context.app;
  if (rule.route !== undefined) notification.route = rule.route;
  if (rule.method !== undefined) notification.method = rule.method;
  const instance = rule.instance ?? state.valueInstance;
  if (instance !== undefined && instance !== '') notification.instance = instance;
  if (kind === 'resolved') {
    notification.endsAt = state.resolvedAt ?? now;
    if (state.resolvedBy !== undefined) notification.resolvedBy = state.resolvedBy;
  }
  if (repeat) notification.repeat = true;
  if (kind === 'error' && state.error !== undefined) notification.error = state.error;
  notification.message = notificationMessage(notification);
  return notification;
}

/** "High latency: p95 response time of GET /users/:id is 812 ms (> 500 ms, last 5 min)". */
export function notificationMessage(n: Omit<AlertNotification, 'message'>): string {
  const what = describeMetric(n);
  const threshold = formatThreshold(n);
  const value = formatValueBeside(n, n.value);
  if (n.state === 'error') return `${n.ruleName}: cannot be evaluated: ${n.error ?? 'unknown error'}`;
  if (n.state === 'resolved') {
    if (n.resolvedBy === 'manual') return `${n.ruleName}: resolved by hand (${what} ${value}, threshold ${threshold})`;
    if (n.resolvedBy?.startsWith('rule ')) return `${n.ruleName}: resolved (${n.resolvedBy})`;
    return `${n.ruleName}: resolved, ${what} is ${value} (threshold ${threshold})`;
  }
  const window = n.metric === 'heartbeat' ? '' : `, last ${formatDuration(n.window)}`;
  return `${n.ruleName}: ${what} is ${value} (${threshold}${window})`;
}
