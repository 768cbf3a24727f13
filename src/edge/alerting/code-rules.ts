// Rules written in code (src/edge/alerts.config.ts, bundled with the Worker): validated once, with
// their customEvaluator functions, which only code can hold.
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

let registered: Array<{ rule: AlertRule; apps?: string[] }> = [];
let problem: string | undefined;

/** Declares the bundled rules (alerts.config.ts's default export). A bad rule is kept as a ConfigError naming it. */
export function defineAlerts(config: AlertsConfig): AlertsConfig {
  try {
    registered = config.rules.map(({ apps, ...rule }) => {
      const valid = assertValidRule(rule);
      if (apps !== undefined && !(Array.isArray(apps) && apps.every((app) => typeof app === 'string'))) throw new AlertRuleError([{ field: 'apps', message: 'expected an array of app ids' }], rule.id);
      return { rule: valid, ...(apps !== undefined && { apps }) };
    });
    const ids = registered.map(({ rule }) => rule.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice !== undefined) throw new AlertRuleError([{ field: 'id', message: `'${twice}' is listed twice` }], twice);
    problem = undefined;
  } catch (error) {
    registered = [];
    problem = `alerts.config.ts: ${(error as Error).message}`;
  }
  return config;
}

/** The code rules of this app; throws the ConfigError of a bad alerts.config.ts. */
export function codeRulesFor(app: string): AlertRule[] {
  if (problem !== undefined) throw new ConfigError(problem);
  return registered.filter(({ apps }) => apps === undefined || apps.includes(app)).map(({ rule }) => rule);
}
