// Vars and secrets the edge does not know: a misspelt name (`PALN`, `ALERT_RULE`) is silently no
// setting at all, so the edge ran on the default it meant to change (no alert rules, the wrong plan)
// and said nothing (a review). Said as the preload says an unknown BUN_APM_* name: named, with the
// nearest real one, never its value; nothing is refused for it.
import { didYouMean } from '../core/config/nearest-name.ts';
import { WORKER } from '../core/config/settings.ts';
import { isVar } from '../core/config/var-text.ts';
import { SECRET_NAMES } from '../core/config/edge-secrets.ts';

/** Every var and secret the edge reads (its bindings are not vars, see var-text.ts, and are not named here). */
const KNOWN: readonly string[] = [...Object.values(WORKER).flatMap((setting) => (setting.env ? [setting.env] : [])), ...SECRET_NAMES, 'BUN_APM_DEV'];
const KNOWN_SET = new Set(KNOWN);

/** One line for each var (a string, or a TOML number, boolean, array or table) in `env` under a name the edge does not read, e.g. `PALN: not a setting of the edge, ignored (did you mean PLAN?)`. */
export function unknownVars(env: object): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!isVar(value) || KNOWN_SET.has(name)) continue;
    lines.push(`${name.slice(0, 100)}: not a setting of the edge, ignored${didYouMean(name.slice(0, 100), KNOWN)}`);
  }
  return lines;
}
