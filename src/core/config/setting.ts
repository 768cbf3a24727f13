// One setting of the table (settings.ts): its name, where it can be set, its default and kind (its
// line of documentation is in settings-docs.ts). The readers (read-setting.ts) and the README's
// tables use only these.
import type { Kind } from './kinds.ts';

export interface Setting<T = unknown, D extends T | undefined = T | undefined> {
  /** Config-file key or option name, dotted when nested: `profiling.interval`. */
  key: string;
  /** The environment variable (the preload) or Worker var that sets it, if any. */
  env?: string;
  /** False for what only the environment sets (BUN_APM_CONFIG, BUN_APM_INSTANCE): no file key. */
  inFile?: boolean;
  kind: Kind<T>;
  /** The value when unset; undefined: stays unset (or is worked out, as its documentation says). */
  default: D;
}

/** A setting of the table, with its kind's type and its default's inferred from the arguments. */
export function setting<T, const D extends T | undefined>(key: string, kind: Kind<T>, defaultValue: D, more: Pick<Setting, 'env' | 'inFile'> = {}): Setting<T, D> {
  return { key, kind, default: defaultValue, ...more };
}
