// The checks every explicit-API constructor runs on its options, so that a mistake throws at
// construction with one kind of message; the kinds, bounds and defaults are the settings table's
// (src/core/config/settings.ts), the error its ConfigError.

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
