// Names the settings bun-apm does not know: a BUN_APM_* variable or a key of bun-apm.config.ts
// spelled wrong would otherwise be ignored without a word, and the app run on the defaults. One
// warning each, with the nearest real name; monitoring goes on (a name is no value to refuse).
import type { BunApmConfig } from '../../core/config.ts';
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
    if (name.startsWith('BUN_APM_') && !VARIABLES.includes(name)) warnings.push(`${name} is no bun-apm setting and is ignored${nearest(name, VARIABLES)}`);
  }
  for (const key of fileKeys(file)) {
    if (!FILE_KEYS.includes(key)) warnings.push(`${key} (${fileName}) is no bun-apm setting and is ignored${nearest(key, FILE_KEYS)}`);
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

/** ` (did you mean X?)` for a known name within a few edits, else nothing. */
function nearest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toUpperCase(), candidate.toUpperCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
