// Query-string parameters read strictly: a value that isn't what it should be is a 400 naming it.
import { badParameter } from './errors.ts';

/** A non-negative integer parameter, or undefined when absent. */
export function intParam(url: URL, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badParameter(`${name}: expected an integer ${min}..${max}`);
  }
  return Number(raw);
}

/** A number parameter (may be fractional), or undefined when absent. */
export function numberParam(url: URL, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_VALUE;
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) throw badParameter(`${name}: expected a number ${min}..${max}`);
  return value;
}

/** One of a fixed set of words, or undefined when absent. */
export function enumParam<T extends string>(url: URL, name: string, allowed: readonly T[]): T | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw badParameter(`${name}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/** A free-text parameter with a length cap, or undefined when absent. */
export function textParam(url: URL, name: string, maxLength: number): string | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > maxLength) throw badParameter(`${name}: expected at most ${maxLength} characters`);
  return raw;
}

/** `true`/`false`/`1`/`0`, or undefined when absent. */
export function booleanParam(url: URL, name: string): boolean | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw badParameter(`${name}: expected true or false`);
}
