// Rules written in code (an installed edge's own entry through edgeWorker, src/edge/alerts.config.ts in
// a checkout; bundled with the Worker), validated once, with their customEvaluator functions, which
// only code can hold. defineAlerts makes a value and keeps nothing: the Worker entry hands it to the
// AppStore and the alert routes.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { AlertRuleError, assertValidRule } from '../../core/alerts/validate-rule.ts';

export interface CodeRule extends AlertRule {
  /** Only these apps (default: every app). */
  apps?: string[];
}

export interface AlertsConfig {
  rules: CodeRule[];
}

/** The validated rules of an alerts.config.ts; a rule that does not validate is left out, its problem kept. */
export class CodeRules {
  private constructor(
    private readonly entries: ReadonlyArray<{ rule: AlertRule; apps?: readonly string[] }>,
    /** What was left out and why (`rules in code: rule 'slow': threshold: …`), with the apps the rule named (none: every app). */
    private readonly problems: ReadonlyArray<{ apps?: readonly string[]; problem: string }>,
  ) {}

  static of(config: AlertsConfig): CodeRules {
    const entries: Array<{ rule: AlertRule; apps?: readonly string[] }> = [];
    const problems: Array<{ apps?: readonly string[]; problem: string }> = [];
    const list: unknown[] = Array.isArray(config?.rules) ? config.rules : [];
    if (!Array.isArray(config?.rules)) problems.push({ problem: 'rules in code: rules: expected an array of rules' });
    list.forEach((input, i) => {
      const named = typeof (input as AlertRule | null)?.id === 'string' ? `rule '${(input as AlertRule).id.slice(0, 128)}'` : `rules[${i}]`;
      try {
        const { apps, ...rule } = input as CodeRule;
        const valid = assertValidRule(rule);
        if (apps !== undefined && !(Array.isArray(apps) && apps.every((app) => typeof app === 'string'))) throw new AlertRuleError([{ field: 'apps', message: 'expected an array of app ids' }], rule.id);
        if (entries.some((entry) => entry.rule.id === valid.id)) throw new AlertRuleError([{ field: 'id', message: `'${valid.id}' is listed twice` }], valid.id);
        entries.push({ rule: valid, ...(apps !== undefined && { apps: [...apps] }) });
      } catch (error) {
        const reason = error instanceof AlertRuleError ? error.problems.map((p) => `${p.field}: ${p.message}`).join('; ') : (error as Error).message;
        // Listed only to the apps the rule was for: another app's read key must not learn of it.
        const apps = (input as CodeRule | null)?.apps;
        const scoped = Array.isArray(apps) && apps.every((app) => typeof app === 'string') ? { apps: [...apps] } : {};
        problems.push({ ...scoped, problem: `rules in code: ${named}: left out: ${reason}` });
      }
    });
    // At the Worker's start (once per isolate): the rest of alerting runs on without what is left out.
    for (const { problem } of problems) console.error(`bun-apm edge: alerting configuration: ${problem}`);
    return new CodeRules(entries, problems);
  }

  /** What was left out that concerns this app. */
  problemsFor(app: string): string[] {
    return this.problems.flatMap(({ apps, problem }) => (apps === undefined || apps.includes(app) ? [problem] : []));
  }

  /** The rules of this app. */
  rulesFor(app: string): AlertRule[] {
    return this.entries.filter(({ apps }) => apps === undefined || apps.includes(app)).map(({ rule }) => rule);
  }
}

/** No rules in code. */
export const NO_CODE_RULES = CodeRules.of({ rules: [] });

/**
 * Declares the rules of alerts.config.ts. A bad rule does not throw here (the Worker must still
 * ingest): it is left out, logged, and listed by the rules and alerts API.
 *
 * @example
 * export default defineAlerts({ rules: [{ id: 'slow', name: 'Slow', metric: 'custom', condition: 'gt', threshold: 0, severity: 'warning', customEvaluator: (m) => m.length > 100 }] });
 */
export function defineAlerts(config: AlertsConfig): CodeRules {
  return CodeRules.of(config);
}
