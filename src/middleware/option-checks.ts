// The checks every explicit-API constructor runs on its options, so that a mistake throws at
// construction with one kind of message; the kinds, bounds and defaults are the settings table's
// (src/core/config/settings.ts), the error its ConfigError.

import { ConfigError } from '../core/config/config-error.ts';
import { didYouMean } from '../core/config/nearest-name.ts';
import { settingFromOption } from '../core/config/read-setting.ts';
import type { Setting } from '../core/config/setting.ts';

/** An option's value checked against its setting, or the setting's default when unset. */
export type OptionReader = <T, D extends T | undefined>(setting: Setting<T, D>, value: unknown) => T | D;

/**
 * @example
 * const option = optionChecks('requestTracer');
 * option(TRACER.spanTimeout, 0); // ConfigError: requestTracer option spanTimeout: expected an integer of at least 1, got 0
 */
export function optionChecks(owner: string): OptionReader {
  return (setting, value) => settingFromOption(owner, setting, value);
}

/**
 * Every key of T, listed once: the compiler refuses a list that misses one, so the warning below
 * never names an option that exists.
 */
export function keysOf<T>() {
  return <const K extends ReadonlyArray<keyof T & string>>(keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never)): readonly string[] => keys;
}

/** An option that is not a plain value: a section of options of its own (their names), a function or a list. */
export type OptionShape = readonly string[] | 'function' | 'list';

/**
 * Refuses options, and section, function or list options, of another type: `storage: 'memory'` or
 * `profiling: true` had been taken and ignored, and `log: 5` threw at the first warning.
 */
export function checkOptionShapes(owner: string, options: unknown, shapes: Readonly<Record<string, OptionShape>>): void {
  if (options === null || typeof options !== 'object') throw new ConfigError(`${owner} options: expected an object, got ${options === null ? 'null' : typeof options}`);
  for (const [key, shape] of Object.entries(shapes)) {
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const expected = shape === 'function' ? typeof value !== 'function' && 'a function'
      : shape === 'list' ? !Array.isArray(value) && 'an array'
      : (value === null || typeof value !== 'object' || Array.isArray(value)) && `an object of ${shape.join(', ')}`;
    if (expected) throw new ConfigError(`${owner} option ${key}: expected ${expected}`);
  }
}

/**
 * A section whose mistakes are thrown, not warned of: an object of known keys only. For sections
 * where a misspelt key would change what the app exposes (`authentication.apikey` had left the
 * dashboard open).
 */
export function strictSection(owner: string, name: string, given: unknown, known: readonly string[], expected: string): Record<string, unknown> {
  if (given === null || typeof given !== 'object') throw new ConfigError(`${owner} option ${name}: expected ${expected}`);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new ConfigError(`${owner} option ${name}.${key} is unknown${didYouMean(key, known)}`);
  }
  return given as Record<string, unknown>;
}

/**
 * Warns, once each, of options the constructor does not take, in its sections too (`storage.maxEntires`):
 * misspelt, they would be ignored without a word.
 */
export function warnUnknownOptions(owner: string, options: object, known: readonly string[], warn: (line: string) => void, shapes: Readonly<Record<string, OptionShape>> = {}, prefix = ''): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) warn(`${owner} option ${prefix}${key} is unknown and ignored${didYouMean(key, known)}`);
  }
  for (const [key, shape] of Object.entries(shapes)) {
    const section = (options as Record<string, unknown>)[key];
    if (Array.isArray(shape) && typeof section === 'object' && section !== null) warnUnknownOptions(owner, section, shape, warn, {}, `${prefix}${key}.`);
  }
}
