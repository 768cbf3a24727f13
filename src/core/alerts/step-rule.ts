// The state machine of one rule: (rule, previous state, what the evaluation found, now) → (next
// state, notifications). No clock, no I/O: every transition is testable as a table row.
import { buildNotification, type AlertNotification, type NotificationContext } from './notification.ts';
import { episodeStatus, initialRuleState, type ResolvedBy, type RuleState } from './rule-state.ts';
import type { ResolvedRule } from './rule.ts';

/**
 * What evaluating the rule found: a value and whether the condition held (null = no data), with the
 * instance it was measured on (gauge metrics), or an error.
 */
/** `unjudged`: no data because the window is not covered yet (a young process), not because none came: the state holds, whatever `noData` says. */
export type RuleOutcome = { value: number | null; met: boolean | null; instance?: string; unjudged?: boolean } | { error: string };

export interface Transition {
  state: RuleState;
  notifications: AlertNotification[];
}

/** Applies one evaluation. An evaluation at or before the previous one's time changes nothing. */
export function stepRule(rule: ResolvedRule, prev: RuleState | undefined, outcome: RuleOutcome, now: number, context: NotificationContext = {}): Transition {
  if (prev?.lastEvaluatedAt !== undefined && now <= prev.lastEvaluatedAt) return { state: prev, notifications: [] };
  const machine = new Machine(rule, { ...(prev ?? initialRuleState(rule.id, rule.threshold)), lastEvaluatedAt: now, threshold: rule.threshold }, now, context);
  if ('error' in outcome) machine.fail(outcome.error);
  else machine.apply(outcome.value, outcome.met, outcome.instance, outcome.unjudged === true);
  return { state: machine.state, notifications: machine.out };
}

/**
 * Closes the rule's open alert when the rule is disabled, removed, or changed in what it measures
 * (a receiver never keeps a dangling incident). `rule`: the rule the alert was opened under.
 */
export function retireRule(rule: ResolvedRule, prev: RuleState | undefined, now: number, reason: 'rule disabled' | 'rule removed' | 'rule changed', context: NotificationContext = {}): Transition {
  if (prev === undefined) return { state: initialRuleState(rule.id, rule.threshold), notifications: [] };
  const machine = new Machine(rule, { ...prev }, now, context);
  machine.close(reason);
  return { state: machine.state, notifications: machine.out };
}

/**
 * Resolves the alert `alertId` by hand. Returns null when that alert is not open. The rule then
 * stays quiet until its condition clears once (or, with repeatInterval, until that much time passes).
 */
export function resolveRuleAlert(rule: ResolvedRule, prev: RuleState, alertId: string, now: number, context: NotificationContext = {}): Transition | null {
  const status = episodeStatus(prev);
  if (prev.alertId !== alertId || (status !== 'firing' && status !== 'pending')) return null;
  const machine = new Machine(rule, { ...prev }, now, context);
  machine.close('manual');
  machine.state.holdUntilClear = true;
  return { state: machine.state, notifications: machine.out };
}

class Machine {
  readonly out: AlertNotification[] = [];

  constructor(
    private readonly rule: ResolvedRule,
    readonly state: RuleState,
    private readonly now: number,
    private readonly context: NotificationContext,
  ) {}

  fail(error: string): void {
    const s = this.state;
    s.value = null;
    delete s.valueInstance;
    s.error = error;
    if (s.status === 'error') return;
    s.errorFrom = s.status;
    s.errorSince = this.now;
    s.status = 'error';
    this.notify('error');
  }

  apply(value: number | null, met: boolean | null, instance?: string, unjudged = false): void {
    const s = this.state;
    s.status = episodeStatus(s);
    delete s.error;
    delete s.errorSince;
    delete s.errorFrom;
    s.value = value;
    // The instance goes with the value it was measured on: none without a value.
    if (value !== null && instance !== undefined) s.valueInstance = instance;
    else delete s.valueInstance;
    if (met === null) {
      if (unjudged || this.rule.noData === 'keep') {
        if (s.status === 'firing') this.remind();
        return;
      }
      met = this.rule.noData === 'alerting';
    }
    switch (s.status) {
      case 'inactive':
      case 'resolved':
        if (met) this.start(value);
        else delete s.holdUntilClear;
        return;
      case 'pending':
        if (!met) {
          s.status = 'inactive';
          delete s.alertId;
          delete s.pendingSince;
          return;
        }
        s.lastMetAt = this.now;
        if (this.now - s.pendingSince! >= this.rule.for) this.fire(value);
        return;
      case 'firing':
        if (met) s.lastMetAt = this.now;
        else if (!(this.rule.keepFiringFor > 0 && this.now - (s.lastMetAt ?? this.now) < this.rule.keepFiringFor)) {
          this.resolve('condition');
          return;
        }
        this.remind();
        return;
    }
  }

  /** Ends the open alert (if any) without an evaluation. */
  close(reason: ResolvedBy): void {
    const s = this.state;
    const status = episodeStatus(s);
    delete s.error;
    delete s.errorSince;
    delete s.errorFrom;
    s.status = status;
    if (status === 'firing') this.resolve(reason);
    else if (status === 'pending') {
      s.status = reason === 'manual' ? 'resolved' : 'inactive';
      s.resolvedAt = this.now;
      s.resolvedBy = reason;
    }
  }

  private start(value: number | null): void {
    const s = this.state;
    if (s.holdUntilClear) {
      const held = this.now - (s.resolvedAt ?? this.now);
      if (!(this.rule.repeatInterval > 0 && held >= this.rule.repeatInterval)) return;
      delete s.holdUntilClear;
    }
    s.alertId = `${this.rule.id}-${this.now}`;
    s.pendingSince = this.now;
    s.lastMetAt = this.now;
    s.notified = false;
    for (const key of ['firingSince', 'resolvedAt', 'resolvedBy', 'lastNotifiedAt', 'triggerValue', 'announced', 'reached'] as const) delete s[key];
    s.status = 'pending';
    if (this.rule.for <= 0) this.fire(value);
  }

  private fire(value: number | null): void {
    const s = this.state;
    s.status = 'firing';
    s.firingSince = this.now;
    s.triggerValue = value;
    this.announce(false);
  }

  /** While firing: send the announcement cooldown held back, or a repeat when repeatInterval is due. */
  private remind(): void {
    const s = this.state;
    if (!s.notified) this.announce(false);
    else if (this.rule.repeatInterval > 0 && this.now - (s.lastNotifiedAt ?? this.now) >= this.rule.repeatInterval) this.announce(true);
  }

  private announce(repeat: boolean): void {
    const s = this.state;
    const last = s.lastFiringNotificationAt;
    if (this.rule.cooldown > 0 && last !== undefined && this.now - last < this.rule.cooldown) return;
    // Once each, the latest last: a resolve is labelled with the severity last announced.
    s.announced = [...(s.announced ?? []).filter((severity) => severity !== this.rule.severity), this.rule.severity];
    s.notified = true;
    s.lastNotifiedAt = this.now;
    s.lastFiringNotificationAt = this.now;
    this.notify('firing', repeat);
  }

  private resolve(by: ResolvedBy): void {
    const s = this.state;
    s.status = 'resolved';
    s.resolvedAt = this.now;
    s.resolvedBy = by;
    if (s.notified && this.rule.notifyOnResolve) this.notify('resolved');
  }

  private notify(kind: 'firing' | 'resolved' | 'error', repeat = false): void {
    this.out.push(buildNotification(this.rule, this.state, kind, this.now, this.context, repeat));
  }
}
