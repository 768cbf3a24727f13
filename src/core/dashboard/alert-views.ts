// Alert notifications as the dashboard's alerts: one row per alert id, in its latest state.
import type { AlertNotification } from '../alerts/notification.ts';
import type { AlertView } from './data.ts';

/** `active` wins over `history`; within history the newest notification of an id wins, whatever the order given. */
export function alertViews(active: readonly AlertNotification[], history: readonly AlertNotification[]): AlertView[] {
  const byId = new Map<string, AlertView>();
  const ordered = [...history].sort((a, b) => a.timestamp - b.timestamp);
  for (const n of [...ordered, ...active]) {
    byId.set(n.id, {
      id: n.id, ruleId: n.ruleId, name: n.ruleName, severity: n.severity,
      // A rule's error is no alert to resolve: no notification ends it, and resolveAlert knows no such id.
      state: n.state,
      value: n.value, threshold: n.threshold, startedAt: n.startsAt, resolvedAt: n.endsAt ?? null,
    });
  }
  return [...byId.values()];
}
