// The checks every explicit-API constructor runs on its options, so that a mistake throws at
// construction with one kind of message: `<owner>: <option> must be …, got …`.

export interface OptionChecks {
  /** An integer ≥ min (and ≤ max when given), or the fallback when unset. */
  integer(name: string, value: unknown, fallback: number, min: number, max?: number): number;
  /** A number in 0..1, or the fallback when unset. */
  fraction(name: string, value: unknown, fallback: number): number;
  /** true or false, or the fallback when unset. */
  flag(name: string, value: unknown, fallback: boolean): boolean;
}

/**
 * @example
 * const { integer, flag } = optionChecks('requestTracer');
 * integer('spanTimeout', options.spanTimeout, 300_000, 1); // RangeError: requestTracer: spanTimeout must be an integer ≥ 1, got 0
 */
export function optionChecks(owner: string): OptionChecks {
  return {
    integer(name, value, fallback, min, max) {
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
        throw new RangeError(`${owner}: ${name} must be an integer ${max === undefined ? `≥ ${min}` : `${min}..${max}`}, got ${String(value)}`);
      }
      return value;
    },
    fraction(name, value, fallback) {
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`${owner}: ${name} must be a number 0..1, got ${String(value)}`);
      return value;
    },
    flag(name, value, fallback) {
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') throw new TypeError(`${owner}: ${name} must be true or false`);
      return value;
    },
  };
}
