// The state of one rule between evaluations: plain JSON, so the edge can store it as a row.
import type { AlertSeverity } from './rule.ts';

/**
 * inactive → pending (condition holds, `for` not yet elapsed) → firing → resolved (condition
 * cleared, by hand, or rule disabled/removed/changed); error when the rule could not be evaluated.
 */
export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'resolved' | 'error';
export type EpisodeStatus = Exclude<AlertStatus, 'error'>;
export type ResolvedBy = 'condition' | 'manual' | 'rule disabled' | 'rule removed' | 'rule changed';

export interface RuleState {
  ruleId: string;
  status: AlertStatus;
  /** The current (or last) alert: `${ruleId}-${start}`; what resolveAlert takes and PagerDuty's dedup key. */
  alertId?: string;
  pendingSince?: number;
  firingSince?: number;
  resolvedAt?: number;
  resolvedBy?: ResolvedBy;
  /** Evaluations at or before this time are ignored (a cron tick delivered twice sends nothing twice). */
  lastEvaluatedAt?: number;
  /** The last time the condition held (for keepFiringFor). */
  lastMetAt?: number;
  /** At the last evaluation; null = no data or error. */
  value: number | null;
  /** The instance `value` was measured on (gauge metrics: the worst instance's mean), when it has a name. */
  valueInstance?: string;
  /** The value when the alert started firing. */
  triggerValue?: number | null;
  /** The threshold at the last evaluation (rules can be edited). */
  threshold: number;
  /** Whether this alert's firing notification went out (a resolve is only announced if it did). */
  notified?: boolean;
  /**
   * The severities this alert's firing notifications were announced with (the rule's severity can
   * be edited while it fires): its resolve goes to every channel one of them reached.
   */
  announced?: AlertSeverity[];
  /** The channels (by name) this alert's firing notifications were routed to: its resolve goes to these. */
  reached?: string[];
  /** The last firing notification of this alert (repeatInterval). */
  lastNotifiedAt?: number;
  /** The last firing notification of any alert of this rule (cooldown). */
  lastFiringNotificationAt?: number;
  /** After a manual resolve: don't fire again until the condition clears once (or repeatInterval passes). */
  holdUntilClear?: boolean;
  error?: string;
  errorSince?: number;
  /** The status the rule was in when it entered `error`; evaluation resumes from it. */
  errorFrom?: EpisodeStatus;
}

export function initialRuleState(ruleId: string, threshold: number): RuleState {
  return { ruleId, status: 'inactive', value: null, threshold };
}

/** The status that counts for transitions: an erroring rule keeps the episode it was in. */
export function episodeStatus(state: RuleState): EpisodeStatus {
  return state.status === 'error' ? (state.errorFrom ?? 'inactive') : state.status;
}

/** Firing, or firing before the rule went into error: what getActiveAlerts lists. */
export function isActive(state: RuleState): boolean {
  return episodeStatus(state) === 'firing';
}
