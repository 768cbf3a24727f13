// One setting of the table (settings.ts): its name, where it can be set, its default and kind,
// and the line that documents it. The readers (read-setting.ts) and the README tables use only this.
import type { Kind } from './kinds.ts';

export interface Setting<T = unknown, D extends T | undefined = T | undefined> {
  /** Config-file key or option name, dotted when nested: `profiling.interval`. */
  key: string;
  /** The environment variable (the preload) or Worker var that sets it, if any. */
  env?: string;
  /** False for what only the environment sets (BUN_APM_CONFIG, BUN_APM_INSTANCE): no file key. */
  inFile?: boolean;
  kind: Kind<T>;
  /** The value when unset; undefined: stays unset (or is worked out, as `defaultText` says). */
  default: D;
  /** The default in words where it is not a plain value: `package.json name`. */
  defaultText?: string;
  /** One line for the README. */
  doc: string;
}

/** A setting of the table, with its kind's type and its default's inferred from the arguments. */
export function setting<T, const D extends T | undefined>(key: string, kind: Kind<T>, defaultValue: D, doc: string, more: Pick<Setting, 'env' | 'inFile' | 'defaultText'> = {}): Setting<T, D> {
  return { key, kind, default: defaultValue, doc, ...more };
}
