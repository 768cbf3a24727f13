// The checks every explicit-API constructor runs on its options, so that a mistake throws at
// construction with one kind of message; the kinds, bounds and defaults are the settings table's
// (src/core/config/settings.ts), the error its ConfigError.

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

/** Warns, once each, of options the constructor does not take: misspelt, they would be ignored without a word. */
export function warnUnknownOptions(owner: string, options: object, known: readonly string[], warn: (line: string) => void): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) warn(`${owner} option ${key} is unknown and ignored${didYouMean(key, known)}`);
  }
}
