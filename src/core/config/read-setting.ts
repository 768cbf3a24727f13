// Reads one setting from where it was given, checked against its kind; a refused value is a
// ConfigError saying the setting, the source and what is accepted:
//   sampleRate (env BUN_APM_SAMPLE_RATE): expected a number from 0 to 1, got "2"
//   profiling.interval (bun-apm.config.ts): expected an integer from 100 to 3600000, got 5
//   performanceAlerting option evaluationDelay: expected an integer from 0 to 1000, got 5000
//   routeCap (var ROUTE_CAP): expected a number from 1 to 100000 (rounded down), got "lots"
import { safeParse } from '../valibot.ts';
import { ConfigError } from './config-error.ts';
import type { Setting } from './setting.ts';
import { varText } from './var-text.ts';

/** `env`: a process's environment (the preload); `var`: the Worker's vars. */
export type TextSource = 'env' | 'var';

/** `, got …` with the refused value, short, unless its kind keeps it back (a secret, a URL's credentials). */
function shown<T>(setting: Setting<T>, value: unknown): string {
  let text: string | undefined;
  try {
    // String, not JSON: NaN and Infinity (Number(process.env.X) of an unset X) were shown as null.
    text = setting.kind.show ? setting.kind.show(value) : typeof value === 'number' ? String(value) : JSON.stringify(typeof value === 'string' ? value.slice(0, 64) : value);
  } catch {
    // A cycle or a BigInt: the setting and the range say enough.
  }
  if (text === undefined) return '';
  return `, got ${text.length > 100 ? `${text.slice(0, 100)}…` : text}`;
}

function checked<T>(setting: Setting<T>, value: unknown, where: string): T {
  const result = safeParse(setting.kind.schema(), value);
  if (!result.success) throw new ConfigError(`${where}: expected ${setting.kind.accepts}${shown(setting, value)}`);
  return setting.kind.normalise ? setting.kind.normalise(result.output) : result.output;
}

/** The setting's value from text (`env[setting.env]`), or undefined when it is unset there. */
export function settingFromText<T>(setting: Setting<T>, env: object, source: TextSource): T | undefined {
  if (setting.env === undefined) return undefined;
  const given = (env as Record<string, unknown>)[setting.env];
  // A var given as a TOML number, boolean, array or table is read as its JSON text (var-text.ts).
  const raw = source === 'var' ? varText(given) : typeof given === 'string' ? given : undefined;
  if (raw === undefined) return undefined;
  const value = setting.kind.fromText(raw);
  if (value === undefined) return undefined;
  const result = safeParse(setting.kind.schema(), value);
  if (!result.success) throw new ConfigError(`${setting.key} (${source} ${setting.env}): expected ${setting.kind.acceptsText ?? setting.kind.accepts}${shown(setting, raw)}`);
  return setting.kind.normalise ? setting.kind.normalise(result.output) : result.output;
}

/** A Worker var: its value, else the setting's default. */
export function settingFromVar<T, D extends T | undefined>(setting: Setting<T, D>, env: object): T | D {
  return settingFromText(setting, env, 'var') ?? setting.default;
}

/** A value a config file gave (undefined: unset there). */
export function settingFromFile<T>(setting: Setting<T>, value: unknown, file: string): T | undefined {
  return value === undefined ? undefined : checked(setting, value, `${setting.key} (${file})`);
}

/** An explicit-API option: its value, else the setting's default. */
export function settingFromOption<T, D extends T | undefined>(owner: string, setting: Setting<T, D>, value: unknown): T | D {
  return value === undefined ? setting.default : checked(setting, value, `${owner} option ${setting.key}`);
}
