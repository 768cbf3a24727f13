// A rule's current alert as a notification-shaped snapshot: what "active alerts" lists show.
import { buildNotification, type AlertNotification, type NotificationContext } from './notification.ts';
import { isActive, type RuleState } from './rule-state.ts';
import { resolveRule, type AlertRule } from './rule.ts';

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
