// Alert notifications as the dashboard's alerts: one row per alert id, in its latest state.
import type { AlertNotification } from '../alerts/notification.ts';
import { MESSAGE_MAX, truncate } from '../alerts/payloads/escape.ts';
import type { AlertView } from './data.ts';

/**
 * An alert row with what its notification says: the metric, its route or instance and the
 * condition, so that the panel formats value and threshold in the metric's unit as the channels do.
 */
export interface AlertRow extends AlertView {
  metric?: AlertNotification['metric'];
  condition?: AlertNotification['condition'];
  route?: string;
  method?: string;
  instance?: string;
}

/** `active` wins over `history`; within history the newest notification of an id wins, whatever the order given. */
export function alertViews(active: readonly AlertNotification[], history: readonly AlertNotification[]): AlertRow[] {
  const byId = new Map<string, AlertRow>();
  const ordered = [...history].sort((a, b) => a.timestamp - b.timestamp);
  for (const n of [...ordered, ...active]) {
    const row: AlertRow = {
      id: n.id, ruleId: n.ruleId, name: n.ruleName, severity: n.severity,
      // A rule's error is no alert to resolve: no notification ends it, and resolveAlert knows no such id.
      state: n.state,
      value: n.value, threshold: n.threshold, startedAt: n.startsAt, resolvedAt: n.endsAt ?? null,
      metric: n.metric, condition: n.condition,
    };
    if (n.route !== undefined) row.route = n.route;
    if (n.method !== undefined) row.method = n.method;
    if (n.instance !== undefined) row.instance = n.instance;
    // The channels' one line, without the rule's name the row already shows.
    const message = n.message.startsWith(`${n.ruleName}: `) ? n.message.slice(n.ruleName.length + 2) : n.message;
    if (message !== '') row.message = truncate(message, MESSAGE_MAX);
    byId.set(n.id, row);
  }
  return [...byId.values()];
}
