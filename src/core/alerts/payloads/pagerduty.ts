// PagerDuty Events API v2: a firing notification triggers, a resolved one resolves, both with the
// alert id as dedup key so that they land on the same incident and a reminder never pages twice.
import { formatThreshold, formatValueBeside } from '../format.ts';
import type { AlertNotification } from '../notification.ts';
import { DESCRIPTION_MAX, safeLink, truncate } from './escape.ts';
import type { PayloadOptions } from './facts.ts';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: 'trigger';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: 'critical' | 'error' | 'warning' | 'info';
    timestamp: string;
    component?: string;
    group?: string;
    class: string;
    custom_details: Record<string, string | number | null>;
  };
  links?: Array<{ href: string; text: string }>;
}

export interface PagerDutyResolve {
  routing_key: string;
  event_action: 'resolve';
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

const SUMMARY_MAX = 1024;

/**
 * The event for a notification, or null for a rule-error notification: an error has no incident
 * to resolve later, so it goes to the chat, webhook and email channels only.
 *
 * @example
 * const event = pagerDutyEvent(notification, routingKey, { dashboardUrl });
 * if (event) await fetch(PAGERDUTY_EVENTS_URL, { method: 'POST', body: JSON.stringify(event) });
 */
export function pagerDutyEvent(n: AlertNotification, routingKey: string, options: PayloadOptions = {}): PagerDutyEvent | null {
  if (n.state === 'error') return null;
  if (n.state === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key: n.id };
  const event: PagerDutyTrigger = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: n.id,
    payload: {
      summary: truncate(`${n.app ? `[${n.app}] ` : ''}${n.message}`, SUMMARY_MAX),
      source: n.app ?? 'bun-apm',
      severity: n.severity,
      timestamp: new Date(n.timestamp).toISOString(),
      class: n.metric,
      custom_details: {
        rule: `${n.ruleName} (${n.ruleId})`,
        value: formatValueBeside(n, n.value),
        threshold: formatThreshold(n),
        window_ms: n.window,
        started: new Date(n.startsAt).toISOString(),
        description: n.description === undefined ? null : truncate(n.description, DESCRIPTION_MAX),
      },
    },
  };
  if (n.route !== undefined) event.payload.component = [n.method, n.route].filter(Boolean).join(' ');
  else if (n.instance !== undefined) event.payload.component = n.instance;
  if (n.app !== undefined) event.payload.group = n.app;
  const link = safeLink(options.dashboardUrl);
  if (link !== undefined) event.links = [{ href: link, text: 'bun-apm dashboard' }];
  return event;
}
