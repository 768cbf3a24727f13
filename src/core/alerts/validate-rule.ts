// Validates alert rules from code or from the API, naming the field of every problem.
import {
  ALERT_CONDITIONS, ALERT_METRICS, ALERT_SEVERITIES, MIN_REPEAT_INTERVAL_MS, NO_DATA_POLICIES, isGaugeMetric, isRequestMetric, type AlertRule,
} from './rule.ts';
import { METHOD_KEYS } from '../wire-format.ts';
import { BIDI_CONTROL, CONTROL, ZERO_WIDTH, wellFormed } from '../invisible-text.ts';
import { ConfigError } from '../config/config-error.ts';
import { didYouMean } from '../config/nearest-name.ts';

/** `threshold: errorRate is a fraction: 0.05 means 5 %`. */
export interface RuleProblem {
  field: string;
  message: string;
}

export type RuleValidation = { ok: true; rule: AlertRule } | { ok: false; problems: RuleProblem[] };

export const RULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const MAX_WINDOW_MS = 86_400_000;
const MAX_MIN_REQUESTS = 1_000_000_000;
const MAX_DELAY_MS = 7 * 86_400_000;
const TIME_FIELDS = ['cooldown', 'for', 'keepFiringFor', 'repeatInterval'] as const;
const KNOWN_FIELDS = new Set<string>([
  'id', 'name', 'enabled', 'metric', 'condition', 'threshold', 'duration', 'severity', 'cooldown', 'customEvaluator',
  'route', 'method', 'instance', 'for', 'keepFiringFor', 'repeatInterval', 'notifyOnResolve', 'noData', 'minRequests', 'description',
]);

/** A rule that can't be used: a ConfigError (as every other option), with each problem by field. */
export class AlertRuleError extends ConfigError {
  override name = 'AlertRuleError';

  constructor(readonly problems: RuleProblem[], ruleId?: unknown) {
    const which = typeof ruleId === 'string' && ruleId ? `alert rule '${ruleId}'` : 'alert rule';
    super(`${which}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

/**
 * Checks a rule (untrusted JSON or a literal in code). Returns a copy holding the known fields
 * only, or every problem found. A repeatInterval under the 1 min floor is taken (a rule written
 * before the floor must not stop an app or drop its alert) and evaluated with the floor: see repeatFloorProblems.
 *
 * @example
 * const result = validateRule(await request.json());
 * if (!result.ok) return Response.json({ error: { code: 'invalid_rule', problems: result.problems } }, { status: 400 });
 */
export function validateRule(input: unknown): RuleValidation {
  const problems: RuleProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(rule)', message: 'expected an object' }] };
  }
  const r = input as Record<string, unknown>;
  // The nearest field for a short name (`rout`: did you mean route?); a long one is no typo, and its distance costs.
  for (const key of Object.keys(r)) if (!KNOWN_FIELDS.has(key)) add(key, `unknown field${key.length <= 64 ? didYouMean(key, [...KNOWN_FIELDS]) : ''}`);

  if (typeof r.id !== 'string' || !RULE_ID_PATTERN.test(r.id)) add('id', 'expected 1..64 of A-Z a-z 0-9 . _ : - starting with a letter or digit');
  if (!isText(r.name, 128) || r.name.trim() === '' || CONTROL.test(r.name)) add('name', 'expected a non-empty string of at most 128 characters, without control characters or lone surrogates');
  else checkInvisible('name', r.name, add);
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') add('enabled', 'expected true or false');
  if (!oneOf(r.metric, ALERT_METRICS)) add('metric', `expected one of ${ALERT_METRICS.join(', ')}`);
  if (!oneOf(r.condition, ALERT_CONDITIONS)) add('condition', `expected one of ${ALERT_CONDITIONS.join(', ')}`);
  if (!oneOf(r.severity, ALERT_SEVERITIES)) add('severity', `expected one of ${ALERT_SEVERITIES.join(', ')}`);
  if (r.noData !== undefined && !oneOf(r.noData, NO_DATA_POLICIES)) add('noData', `expected one of ${NO_DATA_POLICIES.join(', ')}`);
  if (r.notifyOnResolve !== undefined && typeof r.notifyOnResolve !== 'boolean') add('notifyOnResolve', 'expected true or false');
  if (r.description !== undefined && !isText(r.description, 1024)) add('description', 'expected a string of at most 1024 characters, without lone surrogates');
  else if (typeof r.description === 'string') checkInvisible('description', r.description, add);

  checkThreshold(r, add);
  if (r.duration !== undefined && !(isMs(r.duration) && r.duration >= 1000 && r.duration <= MAX_WINDOW_MS)) {
    add('duration', `expected the evaluation window in ms, 1000..${MAX_WINDOW_MS} (24 h)`);
  }
  for (const field of TIME_FIELDS) {
    if (r[field] !== undefined && !(isMs(r[field]) && r[field] <= MAX_DELAY_MS)) add(field, `expected ms, 0..${MAX_DELAY_MS} (7 days)`);
  }
  checkScope(r, add);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rule: copyKnown(r) };
}

/**
 * A string of at most `max` characters (code points: 65 emoji are 130 UTF-16 units and had been
 * refused as over 128), well-formed: a lone surrogate had been stored and sent in webhook JSON that
 * strict parsers refuse (a review).
 */
function isText(value: unknown, max: number): value is string {
  if (typeof value !== 'string' || value.length > 2 * max || wellFormed(value) !== value) return false;
  if (value.length <= max) return true;
  let count = 0;
  for (const _ of value) if (++count > max) return false;
  return true;
}

/** validateRule that throws an AlertRuleError (for rules written in code: the mistake shows at startup). */
export function assertValidRule(input: unknown): AlertRule {
  const result = validateRule(input);
  if (!result.ok) throw new AlertRuleError(result.problems, (input as { id?: unknown } | null)?.id);
  return result.rule;
}

/** Rules whose repeatInterval is under the floor: kept as written, evaluated with the floor, named so (the edge's configProblems, a warning in-process). */
export function repeatFloorProblems(rules: readonly AlertRule[]): string[] {
  return rules.flatMap(({ id, repeatInterval: ms }) => (ms && ms < MIN_REPEAT_INTERVAL_MS ? [`rule '${id}': repeatInterval: ${ms} ms is under the minimum, ${MIN_REPEAT_INTERVAL_MS}: reminders go every ${MIN_REPEAT_INTERVAL_MS} ms`] : []));
}

/** What every rule has: `null` for one of them in an update is a mistake, not a removal. */
const REQUIRED_FIELDS: ReadonlySet<string> = new Set(['id', 'name', 'metric', 'condition', 'threshold', 'severity']);

/**
 * Applies a partial update to a rule and validates the result; the id cannot change. `null` removes
 * an optional field (`{"route": null}`: the rule watches every route again), keeping the rule's state.
 */
export function validateRuleUpdate(rule: AlertRule, updates: unknown): RuleValidation {
  if (typeof updates !== 'object' || updates === null || Array.isArray(updates)) {
    return { ok: false, problems: [{ field: '(updates)', message: 'expected an object' }] };
  }
  const patch = updates as Record<string, unknown>;
  if (patch.id !== undefined && patch.id !== rule.id) return { ok: false, problems: [{ field: 'id', message: 'cannot be changed; remove the rule and add a new one' }] };
  const merged: Record<string, unknown> = { ...rule, ...patch };
  for (const [field, value] of Object.entries(patch)) if (value === null && !REQUIRED_FIELDS.has(field)) delete merged[field];
  return validateRule(merged);
}

type Add = (field: string, message: string) => void;

/**
 * Refuses a bidirectional control or zero-width character (U+202E makes "Checkout \u202egnp.exe\u202c"
 * read "Checkout exe.png"), naming the first one. Right-to-left letters themselves are fine.
 * @returns whether the text is free of them
 */
function checkInvisible(field: string, text: string, add: Add): boolean {
  const bidi = BIDI_CONTROL.exec(text);
  const zero = ZERO_WIDTH.exec(text);
  const first = bidi && (!zero || bidi.index < zero.index) ? bidi : zero;
  if (!first) return true;
  const code = `U+${first[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  add(field, first === bidi
    ? `contains ${code} (a bidirectional control), which would show the text reordered`
    : `contains ${code} (a zero-width character), which would hide part of the text`);
  return false;
}

function checkThreshold(r: Record<string, unknown>, add: Add): void {
  const t = r.threshold;
  if (typeof t !== 'number' || !Number.isFinite(t)) return add('threshold', 'expected a finite number');
  if (r.metric === 'errorRate' && !(t >= 0 && t <= 1)) return add('threshold', 'errorRate is a fraction 0..1: 0.05 means 5 %');
  if (r.metric !== 'custom' && t < 0) return add('threshold', 'expected a number ≥ 0');
  if (r.metric === 'heartbeat' && !(r.condition === 'gt' || r.condition === 'gte')) {
    add('condition', 'a heartbeat rule fires when the silence (ms) is gt or gte its threshold');
  }
}

function checkScope(r: Record<string, unknown>, add: Add): void {
  const metric = r.metric;
  const perRequest = metric === 'custom' || (typeof metric === 'string' && oneOf(metric, ALERT_METRICS) && isRequestMetric(metric));
  const perInstance = metric === 'heartbeat' || (typeof metric === 'string' && oneOf(metric, ALERT_METRICS) && isGaugeMetric(metric));
  if (r.route !== undefined) {
    if (!isText(r.route, 256) || !r.route.startsWith('/') || CONTROL.test(r.route)) add('route', 'expected a route template starting with / (at most 256 characters, without control characters or lone surrogates)');
    else if (checkInvisible('route', r.route, add) && !perRequest) add('route', `only request metrics and custom rules can be filtered by route, not ${String(metric)}`);
  }
  if (r.method !== undefined) {
    // As requests are counted: a rule on PROPFIND would never match (such requests are OTHER).
    if (!(METHOD_KEYS as readonly unknown[]).includes(r.method)) add('method', `expected one of ${METHOD_KEYS.join(', ')} (any other method is counted as OTHER)`);
    else if (!perRequest) add('method', `only request metrics and custom rules can be filtered by method, not ${String(metric)}`);
  }
  if (r.instance !== undefined) {
    if (!isText(r.instance, 128) || r.instance === '' || CONTROL.test(r.instance)) add('instance', 'expected a non-empty string of at most 128 characters, without control characters or lone surrogates');
    else if (checkInvisible('instance', r.instance, add) && !perInstance) add('instance', 'only memoryUsage, cpuUsage, eventLoopLag and heartbeat rules can name an instance');
  }
  if (metric === 'custom' && typeof r.customEvaluator !== 'function') add('customEvaluator', "required for metric 'custom': a function (metrics) => boolean | number");
  if (metric !== 'custom' && r.customEvaluator !== undefined) add('customEvaluator', "only used with metric 'custom'");
  if (r.minRequests !== undefined) {
    if (!(typeof r.minRequests === 'number' && Number.isInteger(r.minRequests) && r.minRequests >= 1 && r.minRequests <= MAX_MIN_REQUESTS)) add('minRequests', `expected an integer 1..${MAX_MIN_REQUESTS}`);
    else if (!['responseTime', 'p50', 'p95', 'p99', 'errorRate'].includes(String(metric))) add('minRequests', 'only used with responseTime, p50, p95, p99 and errorRate');
  }
}

function oneOf<T extends string>(value: unknown, options: readonly T[]): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value);
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function copyKnown(r: Record<string, unknown>): AlertRule {
  const out: Record<string, unknown> = {};
  for (const key of KNOWN_FIELDS) if (r[key] !== undefined) out[key] = r[key];
  return out as unknown as AlertRule;
}
