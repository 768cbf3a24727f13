// Query-string parameters read strictly: a value that isn't what it should be, a name given more than
// once, and a name the endpoint doesn't read (query-names.ts) are each a 400 naming it. A number given
// empty (`from=`) is not a number: a 400, not the default. An empty word, text or boolean is none.
import { badParameter, HttpError } from './errors.ts';
import { acceptedNames } from './query-names.ts';

/** URLs whose query passed checkQuery: each helper calls it, the whole query is read once. */
const checked = new WeakSet<URL>();

/**
 * The query as a whole: every name given once (else the first of `limit=1&limit=99999` would win
 * silently), and, where the endpoint has a list, every name one it reads. Every helper below calls
 * it first, so a handler that reads one parameter through them has its whole query checked.
 */
export function checkQuery(url: URL): void {
  if (checked.has(url)) return;
  const counts = new Map<string, number>();
  for (const name of url.searchParams.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const [name, count] of counts) {
    if (count > 1) throw badParameter(`${shown(name)}: given ${count} times; give it once`);
  }
  const accepted = acceptedNames(url.pathname);
  for (const name of counts.keys()) {
    if (accepted === undefined || accepted.includes(name)) continue;
    const reads = accepted.length === 0 ? 'this endpoint takes no query parameters' : `this endpoint reads ${accepted.join(', ')}`;
    throw new HttpError(400, 'invalid_parameter', `${shown(name)}: unknown parameter; ${reads}`, {}, { accepted });
  }
  checked.add(url);
}

/** A name as a message shows it: clipped, and an empty one said so. */
function shown(name: string): string {
  if (name === '') return '(a parameter with no name)';
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}

/** The one value of `name`, or null when absent (the query is checked first). */
function valueOf(url: URL, name: string): string | null {
  checkQuery(url);
  return url.searchParams.get(name);
}

/** A non-negative integer parameter, or undefined when absent; given empty (`from=`) it is a 400, as no number. */
export function intParam(url: URL, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const raw = valueOf(url, name);
  if (raw === null) return undefined;
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badParameter(`${name}: expected an integer ${min}..${max}`);
  }
  return Number(raw);
}

/** A number parameter (may be fractional), or undefined when absent; given empty it is a 400, as no number. */
export function numberParam(url: URL, name: string, options: { min?: number; max?: number } = {}): number | undefined {
  const raw = valueOf(url, name);
  if (raw === null) return undefined;
  const value = Number(raw);
  const min = options.min ?? 0;
  const max = options.max ?? Number.MAX_VALUE;
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) throw badParameter(`${name}: expected a decimal number from ${min} to ${max}, such as 250 or 12.5 (no sign or exponent)`);
  return value;
}

/** One of a fixed set of words, or undefined when absent. */
export function enumParam<T extends string>(url: URL, name: string, allowed: readonly T[]): T | undefined {
  const raw = valueOf(url, name);
  if (raw === null || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw badParameter(`${name}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/** A free-text parameter with a length cap, or undefined when absent. */
export function textParam(url: URL, name: string, maxLength: number): string | undefined {
  const raw = valueOf(url, name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > maxLength) throw badParameter(`${name}: expected at most ${maxLength} characters`);
  return raw;
}

/** `true`/`false`/`1`/`0`, or undefined when absent. */
export function booleanParam(url: URL, name: string): boolean | undefined {
  const raw = valueOf(url, name);
  if (raw === null || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw badParameter(`${name}: expected true or false`);
}
