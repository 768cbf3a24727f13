// Rules written in code (src/edge/alerts.config.ts, bundled with the Worker), validated once, with
// their customEvaluator functions, which only code can hold. defineAlerts makes a value and keeps
// nothing: the Worker entry imports it and hands it to the AppStore and the alert routes.
import type { AlertRule } from '../../core/alerts/rule.ts';
import { AlertRuleError, assertValidRule } from '../../core/alerts/validate-rule.ts';
import { ConfigError } from '../config-error.ts';

export interface CodeRule extends AlertRule {
  /** Only these apps (default: every app). */
  apps?: string[];
}

export interface AlertsConfig {
  rules: CodeRule[];
}

/** The validated rules of an alerts.config.ts, or the problem that keeps them from running. */
export class CodeRules {
  private constructor(
    private readonly entries: ReadonlyArray<{ rule: AlertRule; apps?: readonly string[] }>,
    private readonly problem?: string,
  ) {}

  static of(config: AlertsConfig): CodeRules {
    try {
      const entries = config.rules.map(({ apps, ...rule }) => {
        const valid = assertValidRule(rule);
        if (apps !== undefined && !(Array.isArray(apps) && apps.every((app) => typeof app === 'string'))) throw new AlertRuleError([{ field: 'apps', message: 'expected an array of app ids' }], rule.id);
        return { rule: valid, ...(apps !== undefined && { apps: [...apps] }) };
      });
      const ids = entries.map(({ rule }) => rule.id);
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      if (twice !== undefined) throw new AlertRuleError([{ field: 'id', message: `'${twice}' is listed twice` }], twice);
      return new CodeRules(entries);
    } catch (error) {
      return new CodeRules([], `alerts.config.ts: ${(error as Error).message}`);
    }
  }

  /** The rules of this app; throws the ConfigError of a bad alerts.config.ts (alerting stops, the rest of the Worker runs on). */
  rulesFor(app: string): AlertRule[] {
    if (this.problem !== undefined) throw new ConfigError(this.problem);
    return this.entries.filter(({ apps }) => apps === undefined || apps.includes(app)).map(({ rule }) => rule);
  }
}

/** No rules in code. */
export const NO_CODE_RULES = CodeRules.of({ rules: [] });

/**
 * Declares the rules of alerts.config.ts. A bad rule does not throw here (the Worker must still
 * ingest): it is reported as a ConfigError naming it wherever alerting runs.
 *
 * @example
 * export default defineAlerts({ rules: [{ id: 'slow', name: 'Slow', metric: 'custom', condition: 'gt', threshold: 0, severity: 'warning', customEvaluator: (m) => m.length > 100 }] });
 */
export function defineAlerts(config: AlertsConfig): CodeRules {
  return CodeRules.of(config);
}
