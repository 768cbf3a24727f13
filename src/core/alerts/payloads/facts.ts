// The facts every channel shows about a notification, in one order, as unescaped text: each
// channel escapes them for where they land.
import { describeMetric, formatDuration, formatThreshold, formatTime, formatValueBeside } from '../format.ts';
import type { AlertNotification } from '../notification.ts';
import { DESCRIPTION_MAX, MAX_ALERT_TEXT, truncate } from './escape.ts';

export interface Fact {
  label: string;
  value: string;
}

/** Options every payload builder takes. */
export interface PayloadOptions {
  /** Link to the dashboard (http/https only; anything else is left out). */
  dashboardUrl?: string;
}

const TITLE = { firing: 'FIRING', resolved: 'RESOLVED', error: 'RULE ERROR' } as const;

/** "FIRING", "FIRING (reminder)", "RESOLVED", "RULE ERROR". */
export function stateTitle(n: AlertNotification): string {
  return n.repeat ? `${TITLE[n.state]} (reminder)` : TITLE[n.state];
}

export function notificationFacts(n: AlertNotification): Fact[] {
  const facts: Fact[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') facts.push({ label, value });
  };
  add('App', n.app);
  add('Rule', `${n.ruleName} (${n.ruleId})`);
  add('Severity', n.severity);
  add('State', stateTitle(n).toLowerCase());
  if (n.state !== 'error') {
    add('Metric', describeMetric(n));
    add('Value', formatValueBeside(n, n.value));
    add('Threshold', formatThreshold(n));
    if (n.metric !== 'heartbeat') add('Window', formatDuration(n.window));
  }
  add(n.state === 'error' ? 'Failing since' : 'Started', formatTime(n.startsAt));
  if (n.endsAt !== undefined) add('Resolved', `${formatTime(n.endsAt)}${n.resolvedBy && n.resolvedBy !== 'condition' ? ` (${n.resolvedBy})` : ''}`);
  add('Error', n.error === undefined ? undefined : truncate(n.error, MAX_ALERT_TEXT));
  add('Description', n.description === undefined ? undefined : truncate(n.description, DESCRIPTION_MAX));
  add('Alert id', n.id);
  return facts;
}
