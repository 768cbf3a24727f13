// Names the settings bun-apm does not know: a BUN_APM_* variable or a key of bun-apm.config.ts
// spelled wrong would otherwise be ignored without a word, and the app run on the defaults. One
// warning each, with the nearest real name; monitoring goes on (a name is no value to refuse).
import type { BunApmConfig } from '../../core/config.ts';
import { didYouMean } from '../../core/config/nearest-name.ts';
import { OTHER_VARIABLES, PRELOAD } from '../../core/config/preload-settings.ts';
import type { Setting } from '../../core/config/setting.ts';
import type { Env } from './config-env.ts';

const SETTINGS = Object.values(PRELOAD) as Setting[];

const VARIABLES = [...SETTINGS.flatMap((s) => (s.env === undefined ? [] : [s.env])), ...OTHER_VARIABLES];

/** The config file's keys: each setting's, dotted when nested, and the structured ones. */
const FILE_KEYS = [...SETTINGS.filter((s) => s.inFile !== false).map((s) => s.key), 'exporters', 'storage'];

/**
 * @example
 * unknownSettings({ BUN_APM_SAMPEL_RATE: '0.5' }, {}, 'bun-apm.config.ts')
 * // ['BUN_APM_SAMPEL_RATE is no bun-apm setting and is ignored (did you mean BUN_APM_SAMPLE_RATE?)']
 */
export function unknownSettings(env: Env, file: BunApmConfig, fileName: string): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('BUN_APM_') && !VARIABLES.includes(name)) warnings.push(`${name} is no bun-apm setting and is ignored${didYouMean(name, VARIABLES)}`);
  }
  for (const key of fileKeys(file)) {
    if (!FILE_KEYS.includes(key)) warnings.push(`${key} (${fileName}) is no bun-apm setting and is ignored${didYouMean(key, FILE_KEYS)}`);
  }
  return warnings;
}

/** Top-level keys, and those of the two nested objects, dotted. */
function fileKeys(file: BunApmConfig): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(file)) {
    const nested = (key === 'profiling' || key === 'export') && typeof value === 'object' && value !== null;
    if (nested) for (const inner of Object.keys(value)) keys.push(`${key}.${inner}`);
    else keys.push(key);
  }
  return keys;
}
