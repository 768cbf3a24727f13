// Where an app's rules come from at the edge, in this order (a repeated id keeps the first):
// alerts.config.ts (code, with custom evaluators), the ALERT_RULES var, and the admin API (stored in
// the AppStore's alert_rules table). Only API rules can be added, changed or removed through the API.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { repeatFloorProblems, validateRule, validateRuleUpdate, type RuleProblem } from '../../core/alerts/validate-rule.ts';
import type { Sql } from '../store/sql.ts';
import type { AlertConfig } from './alert-config.ts';
import * as tables from './alert-tables.ts';
import type { CodeRules } from './code-rules.ts';

const MAX_API_RULES = 500;
/** Rules in code, as messages and `shadowedBy` name them: an installed edge's own entry, or alerts.config.ts in a checkout. */
const CODE = 'the rules in code';
const CUSTOM_NEEDS_CODE = 'custom rules need a customEvaluator function, which JSON cannot carry: write them in code, in an edge entry of your own (edgeWorker(defineAlerts(…)) from bun-apm/edge)';

/** `code`: the rules in code of the Worker's entry (edgeWorker, alerts.config.ts); `config`: the ALERT_RULES var; `api`: added through the API. */
export type RuleSource = 'code' | 'config' | 'api';
/**
 * A rule as JSON (a code rule's customEvaluator is left out) and where it comes from. `shadowedBy`:
 * an API rule whose id alerts.config.ts or ALERT_RULES took later, listed so that it can be found
 * and deleted; it is not evaluated.
 */
export type ListedRule = Omit<AlertRule, 'customEvaluator'> & { source: RuleSource; shadowedBy?: string };
export type RuleRefusal = { ok: false; status: 400 | 404 | 409 | 422; code: string; message: string; problems?: RuleProblem[] };
export type RuleChange = { ok: true; rule: ListedRule; warnings?: string[] } | RuleRefusal;

export interface RuleCatalogOptions {
  sql: Sql;
  app: () => string;
  codeRules: CodeRules;
  config: () => AlertConfig;
}

export class RuleCatalog {
  constructor(private readonly options: RuleCatalogOptions) {}

  /** What alerts.config.ts and the vars left out for this app, and why; rules evaluated otherwise than written. */
  problems(): string[] {
    return configProblems(this.options.codeRules, this.options.config(), this.options.app(), this.rules());
  }

  /** The rules to evaluate, in order. */
  rules(): AlertRule[] {
    return this.sourced().map(({ rule }) => rule);
  }

  /** Every rule as JSON, with its source; then the API rules shadowed by a rule of the same id. */
  listed(): ListedRule[] {
    const listed = this.sourced().map(({ rule, source }): ListedRule => {
      const { customEvaluator: _code, ...json } = rule;
      return { ...json, source };
    });
    for (const rule of tables.listStoredRules(this.options.sql)) {
      const shadowedBy = this.fixedSource(rule.id);
      if (shadowedBy !== undefined) listed.push({ ...rule, source: 'api', shadowedBy });
    }
    return listed;
  }

  add(input: unknown, now: number): RuleChange {
    const result = validateRule(input);
    if (!result.ok) return invalid(result.problems);
    const rule = result.rule;
    if (rule.metric === 'custom') return invalid([{ field: 'metric', message: CUSTOM_NEEDS_CODE }]);
    const fixed = this.fixedSource(rule.id);
    if (fixed) return { ok: false, status: 409, code: 'rule_exists', message: `rule '${rule.id}' comes from ${fixed}; change it there` };
    const { sql } = this.options;
    if (tables.getStoredRule(sql, rule.id)) return { ok: false, status: 409, code: 'rule_exists', message: `rule '${rule.id}' exists; PATCH it or DELETE it first` };
    if (tables.listStoredRules(sql).length >= MAX_API_RULES) return { ok: false, status: 409, code: 'too_many_rules', message: `at most ${MAX_API_RULES} rules per app` };
    tables.putStoredRule(sql, rule, now);
    return { ok: true, rule: { ...rule, source: 'api' } };
  }

  update(id: string, patch: unknown, now: number): RuleChange {
    const found = this.editable(id);
    if (!found.ok) return found;
    const result = validateRuleUpdate(found.rule, patch);
    if (!result.ok) return invalid(result.problems);
    if (result.rule.metric === 'custom') return invalid([{ field: 'metric', message: CUSTOM_NEEDS_CODE }]);
    // A rule switched off closes its open alert at the next tick (the engine's retireRule).
    tables.putStoredRule(this.options.sql, result.rule, now);
    return { ok: true, rule: { ...result.rule, source: 'api' } };
  }

  /**
   * Removes an API rule whose id alerts.config.ts or ALERT_RULES took after it was added: never
   * evaluated, not listed, yet counted against the limit, it had no other way out. The rule that
   * took its id, and that rule's state, stay.
   */
  removeShadowed(id: string): AlertRule | undefined {
    const rule = this.fixedSource(id) ? tables.getStoredRule(this.options.sql, id) : undefined;
    if (rule !== undefined) tables.deleteStoredRule(this.options.sql, id);
    return rule;
  }

  /** The API rule with this id, or why the API may not change it. */
  editable(id: string): { ok: true; rule: AlertRule } | RuleRefusal {
    const fixed = this.fixedSource(id);
    if (fixed) return { ok: false, status: 409, code: 'rule_from_config', message: `rule '${id}' comes from ${fixed}; change it there` };
    const rule = tables.getStoredRule(this.options.sql, id);
    if (rule === undefined) return { ok: false, status: 404, code: 'not_found', message: `no rule '${id}'` };
    return { ok: true, rule };
  }

  private sourced(): Array<{ rule: AlertRule; source: RuleSource }> {
    const app = this.options.app();
    const out: Array<{ rule: AlertRule; source: RuleSource }> = [];
    const ids = new Set<string>();
    const add = (rules: readonly AlertRule[], source: RuleSource) => {
      for (const rule of rules) {
        if (ids.has(rule.id)) continue;
        ids.add(rule.id);
        out.push({ rule, source });
      }
    };
    add(this.options.codeRules.rulesFor(app), 'code');
    add(this.options.config().rulesFor(app), 'config');
    add(tables.listStoredRules(this.options.sql), 'api');
    return out;
  }

  /** Where a rule that the API may not change comes from, if it does. */
  private fixedSource(id: string): string | undefined {
    const app = this.options.app();
    if (this.options.codeRules.rulesFor(app).some((rule) => rule.id === id)) return CODE;
    if (this.options.config().rulesFor(app).some((rule) => rule.id === id)) return 'ALERT_RULES';
    return undefined;
  }
}

/**
 * What alerts.config.ts and the vars left out that concerns `app`, and the evaluated rules (code,
 * var or API) whose repeatInterval is under the floor (kept as written, evaluated with the floor):
 * the store's alerts answer and the rules route list the same.
 */
export function configProblems(codeRules: CodeRules, config: AlertConfig, app: string, rules: readonly AlertRule[]): string[] {
  return [...codeRules.problemsFor(app), ...config.problemsFor(app), ...repeatFloorProblems(rules), ...heartbeatProblems(rules)];
}

/** Below this a heartbeat rule fires on an idle instance between its reports (a minute apart). */
export const MIN_HEARTBEAT_MS = 120_000;

/**
 * Heartbeat rules that would fire on a healthy idle app: an instance with no requests reports once
 * a minute, and rules are evaluated at the minute, so a silence of up to a minute and some seconds
 * is normal. Kept as written (a key holder may mean it), named where the rules are listed and when
 * such a rule is added through the API.
 */
export function heartbeatProblems(rules: readonly Pick<AlertRule, 'id' | 'metric' | 'threshold'>[]): string[] {
  return rules.flatMap(({ id, metric, threshold }) => (metric === 'heartbeat' && threshold < MIN_HEARTBEAT_MS
    ? [`rule '${id}': a heartbeat threshold of ${threshold} ms fires on an idle instance, which reports once a minute: give it a few minutes (at least ${MIN_HEARTBEAT_MS})`]
    : []));
}

function invalid(problems: RuleProblem[]): RuleRefusal {
  return { ok: false, status: 422, code: 'invalid_rule', message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems };
}
