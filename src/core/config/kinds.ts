// The kinds of value a setting takes: each is a valibot schema, the sentence that says what it
// accepts (error messages and the README tables print it), and how it reads from text (an
// environment variable or a Worker var). One kind, one set of bounds: nothing is checked twice.
import * as v from '../valibot.ts';
import { APP_ID } from '../app-id.ts';

export interface Kind<T> {
  /**
   * Checks a value as code gives it (config file, option) or as `fromText` made it. Built on each
   * call, when a setting is read, and then let go: the preload's tables live in the app's heap
   * for good, and as schemas they were 2,100 of its 6,600 objects, marked by every full
   * garbage collection of the app.
   */
  schema(): v.GenericSchema<unknown, T>;
  /** What is accepted, as a phrase after "expected": `an integer from 100 to 3600000`. */
  accepts: string;
  /** What text is accepted (env var, Worker var), where it differs from `accepts`. */
  acceptsText?: string;
  /** Text (env var, Worker var) → a value for the schema; undefined when the text means "unset". */
  fromText(raw: string): unknown;
  /** A checked value into the form the host uses (a URL without its trailing slash, a count rounded down). */
  normalise?(value: T): T;
  /** How a refused value may be shown: never for secrets, only the scheme of a URL. */
  show?(value: unknown): string | undefined;
  /** A value as the docs write it, where that is not the plain value (a switch's `on`/`off`). */
  textOf?(value: T): string;
  /** Bounds of a numeric kind, for tests and docs. */
  min?: number;
  max?: number;
  integer?: boolean;
}

const trimmed = (raw: string) => (raw.trim() === '' ? undefined : raw.trim());
// Decimal only: Number() also reads 0x10, 0b11 and 0o7, which no one writes meaning a count.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** A number as text, or the text itself (which the schema then refuses, quoting it). */
function numberText(raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  return DECIMAL.test(text) ? Number(text) : text;
}

function span(min: number, max: number | undefined): string {
  return max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
}

/** A finite number in min..max (no upper bound when max is undefined). */
export function numberIn(min: number, max?: number): Kind<number> {
  const schema = () => (max === undefined ? v.pipe(v.number(), v.finite(), v.minValue(min)) : v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max)));
  return { schema, accepts: `a number ${span(min, max)}`, fromText: numberText, min, max, integer: false };
}

/** An integer in min..max (no upper bound when max is undefined). */
export function integerIn(min: number, max?: number): Kind<number> {
  const schema = () => (max === undefined ? v.pipe(v.number(), v.integer(), v.minValue(min)) : v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)));
  return { schema, accepts: `an integer ${span(min, max)}`, fromText: numberText, min, max, integer: true };
}

/** A number in min..max used as a count: a fraction is rounded down (the Worker's caps, as always). */
export function countIn(min: number, max: number): Kind<number> {
  return { ...numberIn(min, max), normalise: Math.floor, accepts: `a number from ${min} to ${max} (rounded down)` };
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** true or false; as text 1/0, true/false, yes/no, on/off (empty: false). */
export const flag: Kind<boolean> = {
  schema: () => v.boolean(),
  accepts: 'true or false',
  acceptsText: '1/0, true/false, yes/no or on/off',
  fromText(raw) {
    const value = raw.trim().toLowerCase();
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    return raw;
  },
};

/** A Worker switch: on or off (empty: off); `true`/`false` too, as a TOML boolean in `[vars]` arrives. */
export const onOff: Kind<boolean> = {
  schema: () => v.boolean(),
  accepts: 'on or off',
  textOf: (value) => (value ? 'on' : 'off'),
  fromText(raw) {
    const value = raw.trim().toLowerCase();
    if (value === '' || value === 'off' || value === 'false') return false;
    return value === 'on' || value === 'true' ? true : raw;
  },
};

/** One of a fixed set of words; as text, trimmed and lower-cased (empty: unset). */
export function choice<const T extends string>(values: readonly T[]): Kind<T> {
  return {
    schema: () => v.picklist(values),
    accepts: `one of ${values.join(', ')}`,
    fromText: (raw) => trimmed(raw)?.toLowerCase(),
  };
}

/** A name of 1 to `max` characters (app, service); as text, trimmed (empty: unset). */
export function name(max = 128): Kind<string> {
  return { schema: () => v.pipe(v.string(), v.minLength(1), v.maxLength(max)), accepts: `a name of 1 to ${max} characters`, fromText: trimmed };
}

/** An app id as the edge's keys name apps (core/app-id.ts): what the preload sends must be one. */
export const appId: Kind<string> = {
  schema: () => v.pipe(v.string(), v.regex(APP_ID)),
  accepts: 'an app id: 1 to 64 of A-Z a-z 0-9 . _ - (a letter or digit first)',
  fromText: trimmed,
};

/** Text of `min` to `max` characters, checked further by its reader (JSON, a file path); as text, empty is unset. */
export function text(max: number, what: string, min = 0): Kind<string> {
  return { schema: () => v.pipe(v.string(), v.minLength(min), v.maxLength(max)), accepts: what, fromText: trimmed };
}

/**
 * A secret on one line (a key): never shown back. Spaces and line breaks around it are dropped (a key
 * pasted from a file ends in one): a header value sent loses them anyway, and the edge trims its own
 * copy; anything but visible ASCII inside (a space, a line break, U+200B) is refused. As text, blank is unset.
 */
export const secretLine: Kind<string> = {
  // It goes in an Authorization header: a character fetch refuses there (U+200B, “ ”, CJK) had
  // passed, and then every batch failed as "the edge is unreachable" (a review).
  schema: () => v.pipe(v.string(), v.check((s) => /^[\x21-\x7e]*$/.test(s.trim()))),
  accepts: 'a key of visible ASCII characters on one line, as `bun-apm keys` makes them',
  fromText: (raw) => (raw.trim() === '' ? undefined : raw),
  normalise: (value) => value.trim(),
  show: () => undefined,
};

function isHttpUrl(value: string, base: boolean): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !(base && /[?#]/.test(value));
  } catch {
    return false;
  }
}

/** Text that is no URL, shown back only when it cannot hold a credential (user info, a query, a port-like key, a long token). */
export function mayHoldCredential(text: string): boolean {
  return text.length > 80 || /[@?:]/.test(text);
}

/**
 * An http(s) URL; its user info and query may hold credentials, so only its scheme is shown back.
 * `base`: paths are added to it, so a query or fragment would swallow them (every batch went to `/`).
 */
export function httpUrl(normalise?: (url: string) => string, base = false): Kind<string> {
  return {
    schema: () => v.pipe(v.string(), v.maxLength(2048), v.check((value) => isHttpUrl(value, base))),
    accepts: base ? 'an http(s) URL without a query or fragment' : 'an http(s) URL',
    fromText: trimmed,
    ...(normalise && { normalise }),
    show(value) {
      if (typeof value !== 'string') return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      try {
        return `${new URL(value).protocol}//…`;
      } catch {
        return mayHoldCredential(value) ? undefined : JSON.stringify(value);
      }
    },
  };
}

/**
 * A URL path where something is mounted, as requests arrive with it: `/` and then the characters a
 * URL's path keeps as they are, no `.` or `..` segment. `/ü` or `/a/../b` had been taken, and then
 * never matched a request (they arrive as `/%C3%BC` and `/b`).
 */
export const mountPath: Kind<string> = {
  schema: () => v.pipe(v.string(), v.maxLength(256), v.regex(/^\/[\w\-.~!$&'()*+,;=:@%/]*$/), v.check((path) => !/\/\.\.?(\/|$)/.test(path))),
  accepts: 'a path starting with / as a URL carries it (letters, digits, - . _ ~ / and the like; others percent-encoded; no . or .. segments)',
  fromText: trimmed,
};
