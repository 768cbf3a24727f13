// The ConfigError a setting's check throws, so a test can read its message; anything else fails.
import { expect } from 'bun:test';
import { ConfigError } from '../../src/core/config/config-error.ts';

export function thrown(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
