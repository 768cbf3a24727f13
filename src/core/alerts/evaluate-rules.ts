// Evaluates rules over one tick's data, without I/O. A rule that throws goes to `error`; the
// others still run.
import { windowStart, type AlertData } from './alert-data.ts';
import { describeValue, isError, MAX_ALERT_TEXT, truncate } from './payloads/escape.ts';
import { AlertDataIndex } from './alert-data-index.ts';
import { computeMetricValue } from './metric-value.ts';
import type { AlertNotification, NotificationContext } from './notification.ts';
import type { RuleState } from './rule-state.ts';
import { compare, resolveRule, type AlertRule, type ResolvedRule } from './rule.ts';
import { retireRule, stepRule, type RuleOutcome, type Transition } from './step-rule.ts';

/** How much of a wrong-typed evaluator result its rule's error shows. */
const MAX_RESULT_PREVIEW = 200;

/** One rule, one evaluation. A disabled rule closes its open alert ("rule disabled"). */
export function evaluateRule(rule: AlertRule, data: AlertData | AlertDataIndex, prev: RuleState | undefined, now: number, context: NotificationContext = {}): Transition {
  const resolved = resolveRule(rule);
  if (!resolved.enabled) return retireRule(resolved, prev, now, 'rule disabled', context);
  if (prev?.lastEvaluatedAt !== undefined && now <= prev.lastEvaluatedAt) return { state: prev, notifications: [] };
  const index = data instanceof AlertDataIndex ? data : new AlertDataIndex(data);
  return stepRule(resolved, prev, readOutcome(resolved, index, now), now, context);
}

export interface Evaluation {
  /** Every rule's next state, by id. */
  states: Record<string, RuleState>;
  /** In rule order. */
  notifications: AlertNotification[];
}

/** Every rule over one index of the data (rules sharing a window share the work). */
export function evaluateRules(
  rules: readonly AlertRule[],
  data: AlertData | AlertDataIndex,
  states: Readonly<Record<string, RuleState>>,
  now: number,
  context: NotificationContext = {},
): Evaluation {
  const index = data instanceof AlertDataIndex ? data : new AlertDataIndex(data);
  const next: Record<string, RuleState> = {};
  const notifications: AlertNotification[] = [];
  for (const rule of rules) {
    const prev = states[rule.id];
    let transition: Transition;
    try {
      transition = evaluateRule(rule, index, prev, now, context);
    } catch (error) {
      // Only a malformed rule gets here.
      transition = stepRule(resolveRule(rule), prev, { error: errorMessage(error) }, now, context);
    }
    next[rule.id] = transition.state;
    notifications.push(...transition.notifications);
  }
  return { states: next, notifications };
}

function readOutcome(rule: ResolvedRule, index: AlertDataIndex, now: number): RuleOutcome {
  try {
    if (rule.metric === 'custom') return customOutcome(rule, index, now);
    const { value, instance, unjudged } = computeMetricValue(rule, index, now);
    if (value === null || !Number.isFinite(value)) return { value: null, met: null, ...(unjudged && { unjudged }) };
    const met = compare(rule.condition, value, rule.threshold);
    return { value, met, ...(instance === undefined ? {} : { instance }) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

function customOutcome(rule: ResolvedRule, index: AlertDataIndex, now: number): RuleOutcome {
  if (typeof rule.customEvaluator !== 'function') return { error: 'metric custom needs a customEvaluator function' };
  const result: unknown = rule.customEvaluator(index.samples(windowStart(now, rule.duration), now, rule.route, rule.method));
  if (result === null || result === undefined) return { value: null, met: null };
  if (typeof result === 'boolean') return { value: result ? 1 : 0, met: result };
  if (typeof result === 'number' && Number.isFinite(result)) return { value: result, met: compare(rule.condition, result, rule.threshold) };
  const then = thenOf(result);
  if (then !== undefined) {
    ignoreRejection(result, then);
    return { error: 'customEvaluator returned a Promise (evaluators must be synchronous); expected a boolean, a finite number, or null for no data' };
  }
  // The result's own preview is kept short so that the hint after it survives the clip.
  const what = `${typeof result} ${describeValue(result, MAX_RESULT_PREVIEW)}`;
  return { error: truncate(`customEvaluator returned ${what}; expected a boolean, a finite number, or null for no data`, MAX_ALERT_TEXT) };
}

type Then = (this: unknown, onFulfilled: undefined, onRejected: () => void) => unknown;

/** A thenable's `then`; undefined for anything else, and for a `then` getter that throws. */
function thenOf(result: unknown): Then | undefined {
  if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return undefined;
  try {
    const then: unknown = (result as { then?: unknown }).then;
    return typeof then === 'function' ? (then as Then) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The evaluation has moved on without the promise: a rejection left unhandled would raise
 * unhandledRejection in the host app on every evaluation (and kill apps that exit on it).
 */
function ignoreRejection(thenable: unknown, then: Then): void {
  try {
    then.call(thenable, undefined, () => {});
  } catch {
    // Its own then threw: nothing was left pending to reject.
  }
}

function errorMessage(error: unknown): string {
  const text = describeValue(error, MAX_ALERT_TEXT);
  return truncate(isError(error) ? text : `thrown: ${text}`, MAX_ALERT_TEXT);
}
