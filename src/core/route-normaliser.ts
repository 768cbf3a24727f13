// Turns raw paths into route templates when no router told us the template, and bounds how many exist.
import { redactText } from './redaction/redaction.ts';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NUMBER = /^[+-]?\d+(?:[.,]\d+)?$/;
/** Hex ids: Mongo ObjectIds, git SHAs, hashes. A digit is required so that words made of a–f stay. */
const HEX_ID = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Long opaque tokens: base64/base64url, ULIDs, nanoids, JWT-like. */
const TOKEN = /^[A-Za-z0-9_\-.~=+]{16,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?$/;
const EMAIL = /^[^@/\s]+@[^@/\s]+\.[a-z]{2,}$/i;
/**
 * A build's hashed file name, `app.3f9a2c1d.js`, `main.8e5a1b2c.chunk.js`: a part of 8 or more hex
 * characters with a digit, set off by `.`, `-` or `_`. Every deploy renames the file, so it is an
 * id (a route per asset per deploy had filled the route cap, a review).
 */
const HASHED_NAME = /(?:^|[.\-_])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?=[.\-_]|$)/i;

/** Segments a route keeps; past them, normalisePath ends the route in `/*`. */
export const MAX_SEGMENTS = 16;

/** The placeholder every id-like segment becomes. */
export const ID_PLACEHOLDER = ':id';

/**
 * `/users/42/orders/9f8e…` → `/users/:id/orders/:id`. Query and fragment are dropped; long
 * paths are cut at MAX_SEGMENTS so that crawler paths don't each become a route.
 */
export function normalisePath(rawPath: string): string {
  // By hand rather than search/split/join: this runs for every path not seen before, and a plain
  // fetch handler serving ids sees new paths all the time (bench:normaliser: a fifth to a third of
  // the time that split, every expression on every segment and join take).
  let end = rawPath.indexOf('?');
  if (end < 0) end = rawPath.length;
  const hash = rawPath.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  const path = rawPath.charCodeAt(0) === 47 ? rawPath.slice(0, end) : `/${rawPath.slice(0, end)}`;
  let out = '';
  let start = 1;
  for (let segments = 0; start <= path.length; segments++) {
    if (segments === MAX_SEGMENTS) return `${out}/*`;
    let stop = path.indexOf('/', start);
    if (stop < 0) stop = path.length;
    out += `/${normaliseSegment(path, start, stop)}`;
    start = stop + 1;
  }
  return out;
}

/**
 * What one segment (`path` from `start` to `stop`) becomes: always either its own text or
 * ID_PLACEHOLDER, and decided by its text alone. RouteShapes matches URLs in place on that contract.
 */
function normaliseSegment(path: string, start: number, stop: number): string {
  return isIdSegment(path, start, stop) ? ID_PLACEHOLDER : path.slice(start, stop);
}

/**
 * A segment holding a `name=value` (`login;jsessionid=…`, `access_token=…`, `password=…`): its value
 * changes per session or user, and may be a secret; kept, each was a route of its own, sent with
 * every count (reviews: a session id, then a token and a password in a plain fetch app's routes).
 */
function hasParameter(path: string, start: number, stop: number): boolean {
  const equals = path.indexOf('=', start);
  return equals >= 0 && equals < stop;
}

/** Bits per count in CHAR_WEIGHT's sums. */
const FIELD_BITS = 6;
/** The longest segment counted in fields (no count can pass it); longer ones go through the expressions. */
const MAX_COUNTED = 2 ** FIELD_BITS - 1;
const DIGIT = 1;
/** A digit or a–f, A–F. */
const HEX = DIGIT << FIELD_BITS;
const LETTER = HEX << FIELD_BITS;
/** What TOKEN allows besides letters and digits. */
const TOKEN_SEPARATOR = LETTER << FIELD_BITS;
/** `@` or `%`: an email, or something to decode first. */
const SPECIAL = TOKEN_SEPARATOR << FIELD_BITS;
/**
 * Per ASCII code, what isIdSegment counts: one count per kind of character, each in a field of
 * FIELD_BITS bits of one integer, so that a character is counted with one addition. The sum stays
 * below 2^31 (63 characters × SPECIAL at most), so it remains a small integer.
 */
const CHAR_WEIGHT = new Int32Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  if (/\d/.test(char)) CHAR_WEIGHT[code] = DIGIT + HEX;
  else if (/[a-f]/i.test(char)) CHAR_WEIGHT[code] = HEX + LETTER;
  else if (/[a-z]/i.test(char)) CHAR_WEIGHT[code] = LETTER;
  else if (/[_\-.~=+]/.test(char)) CHAR_WEIGHT[code] = TOKEN_SEPARATOR;
  else if (char === '@' || char === '%') CHAR_WEIGHT[code] = SPECIAL;
}
/**
 * One kind's count out of a sum of weights: the division moves the fields below it into the
 * fraction, and `&` drops that and the fields above.
 */
const count = (counts: number, kind: number) => (counts / kind) & MAX_COUNTED;

/**
 * Whether a segment names an id, read in place: a sliced segment is read slower, and neither an
 * id of digits nor a word needs slicing. Most segments are words (`users`, `search`), plain
 * numbers or hex ids, and the expressions below are most of what naming a path costs. So the
 * segment's characters are counted first, through a table rather than comparisons: an id's
 * characters are random, so a branch per character is presumably mispredicted often (the README's
 * bench:normaliser figures). Four shortcuts answer what the expressions would:
 * - digits only: NUMBER's commonest case;
 * - 8 or more hex characters with a digit among them: HEX_ID (there is nothing to decode);
 * - 16 or more of TOKEN's characters, digits and letters both, separators at most one in 8:
 *   TOKEN and looksRandom (nothing to decode);
 * - no digit, `@` or `%` and shorter than a UUID's 32 characters: none can match (each needs a
 *   digit, an `@` or 32 hex characters, and there is nothing to decode).
 * Other segments go through the expressions.
 */
export function isIdSegment(path: string, start: number, stop: number): boolean {
  const length = stop - start;
  if (length === 0) return false;
  if (length === 36 && isDashedUuid(path, start)) return true; // UUID's commonest form
  if (hasParameter(path, start, stop)) return true;
  if (length <= MAX_COUNTED) {
    let counts = 0;
    for (let i = start; i < stop; i++) {
      const code = path.charCodeAt(i);
      counts += code < 128 ? CHAR_WEIGHT[code]! : 0;
    }
    const digits = count(counts, DIGIT);
    if (digits === length) return true;
    // Groups of digits (a card number, a phone number, an SSN): personal, not a route's name.
    if (digits >= MIN_GROUPED_DIGITS && digits + count(counts, TOKEN_SEPARATOR) === length) return true;
    const special = counts >= SPECIAL;
    if (digits === 0) {
      if (!special && length < 32) return false;
    } else if (length >= 8 && count(counts, HEX) === length) {
      return true;
    } else {
      const letters = count(counts, LETTER);
      const separators = count(counts, TOKEN_SEPARATOR);
      const allToken = digits + letters + separators === length;
      if (length >= 16 && letters > 0 && allToken && separators <= length / 8) return true;
    }
    // Shorter than 8, only NUMBER can match (HEX_ID needs 8 characters, DATE 10, TOKEN 16, UUID 32, EMAIL an `@`).
    if (!special && length < 8) return digits >= 4 ? bySegmentRules(path.slice(start, stop)) === ID_PLACEHOLDER : NUMBER.test(path.slice(start, stop));
  }
  return bySegmentRules(path.slice(start, stop)) === ID_PLACEHOLDER;
}

/**
 * The 36 characters from `start` are 8-4-4-4-12 hex digits with dashes, as crypto.randomUUID()
 * writes them (UUID matches these too). The dashes first: most segments of 36 characters fail there.
 */
function isDashedUuid(path: string, start: number): boolean {
  return path.charCodeAt(start + 8) === 45 && path.charCodeAt(start + 13) === 45
    && path.charCodeAt(start + 18) === 45 && path.charCodeAt(start + 23) === 45
    && isHexRun(path, start, start + 8) && isHexRun(path, start + 9, start + 13) && isHexRun(path, start + 14, start + 18)
    && isHexRun(path, start + 19, start + 23) && isHexRun(path, start + 24, start + 36);
}

function isHexRun(path: string, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const code = path.charCodeAt(i);
    if (code >= 128 || (CHAR_WEIGHT[code]! & HEX) === 0) return false;
  }
  return true;
}

/** Digits in a segment of digits and separators that make it personal data rather than a name. */
const MIN_GROUPED_DIGITS = 6;
/** Digits grouped by separators, spaces and brackets: `4111 1111 1111 1111`, `+1 (555) 123-4567`. */
const DIGIT_GROUPS = /^[\d\s().+\-_~=]+$/;
/** An IBAN, grouped or not: `DE89 3704 0044 0532 0130 00`. */
const IBAN = /^[a-z]{2}\d{2}(?:[\s-]?[a-z0-9]{4}){2,7}(?:[\s-]?[a-z0-9]{1,4})?$/i;
/** A phone number with an extension (`555-123-4567x89`): grouped digits, then `x` or `ext`. */
const PHONE_EXTENSION = /^(\+?[\d\s().-]+?)\s*(?:x|ext\.?)\s*\d{1,6}$/i;
/** A MAC address, and an IPv6 one of two colons or more (`::1` alone names no one). */
const MAC = /^[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}$/i;
const IPV6 = /^(?=(?:[^:]*:){2})(?=.{8})[0-9a-f:.]+$/i;
/** A retina image's name, `logo@2x.png`: its `@` is no address's (`bob@2x.com` is one). */
const SCALED_ASSET = /^[^@]+@\d+(?:\.\d+)?x\.(?:png|jpe?g|gif|webp|avif|svg)$/i;
/** A credential as an Authorization header writes it: `Bearer eyJ…`, `Basic dXNlcjpw…`. */
const SCHEME_CREDENTIAL = /^(?:bearer|basic|token|digest)\s+\S{6,}/i;

/**
 * The rules themselves: what a segment becomes, decoded and tested against every expression. A
 * segment holding something the tracer's redaction would hide (a provider's key, a URL's password,
 * a JWT), an address's `user@` or a credential is an id too: route names go with every count.
 */
export function bySegmentRules(segment: string): string {
  if (segment === '') return segment;
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return ID_PLACEHOLDER; // broken percent-encoding is not a route name
  }
  const scaled = SCALED_ASSET.test(decoded);
  if (NUMBER.test(decoded) || UUID.test(decoded) || HEX_ID.test(decoded) || DATE.test(decoded) || MAC.test(decoded) || IPV6.test(decoded) || (!scaled && EMAIL.test(decoded))) {
    return ID_PLACEHOLDER;
  }
  // `@` after the start (`@types` names a scope; `admin:pw@db`, `react@18` do not name a route); a
  // `name=value`, written or escaped (`%3D`): hasParameter's rule.
  if ((!scaled && decoded.indexOf('@') > 0) || decoded.includes('=') || SCHEME_CREDENTIAL.test(decoded)) return ID_PLACEHOLDER;
  // Personal numbers: grouped digits (a card, a phone, an SSN), a phone's `tel:` link or extension,
  // an IBAN. Not any segment of mostly digits: `season-2023-2024`, `v2024.10.1` and `800x600` name pages.
  if (digitCount(decoded) >= MIN_GROUPED_DIGITS) {
    if (DIGIT_GROUPS.test(decoded) || IBAN.test(decoded) || /^tel:/i.test(decoded)) return ID_PLACEHOLDER;
    const extension = PHONE_EXTENSION.exec(decoded);
    if (extension && DIGIT_GROUPS.test(extension[1]!) && digitCount(extension[1]!) >= MIN_GROUPED_DIGITS) return ID_PLACEHOLDER;
  }
  if (redactText(decoded) !== decoded) return ID_PLACEHOLDER;
  if (TOKEN.test(decoded) && looksRandom(decoded)) return ID_PLACEHOLDER;
  if (HASHED_NAME.test(decoded)) return ID_PLACEHOLDER;
  if (decoded.length > 64) return ID_PLACEHOLDER;
  return segment;
}

function digitCount(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits++;
  return digits;
}

/** A long token with digits and letters mixed is an id; `getting-started-with-bun` is not. */
function looksRandom(token: string): boolean {
  const digits = digitCount(token);
  const letters = token.replace(/[^A-Za-z]/g, '').length;
  const separators = token.replace(/[A-Za-z0-9]/g, '').length;
  return digits > 0 && letters > 0 && separators <= token.length / 8;
}

/** The route key a request lands in once the cap on distinct routes is reached. */
export const OVERFLOW_ROUTE = 'other';

/**
 * Bounds the number of distinct route keys: the first `cap` seen are kept; any new one after
 * that is counted under OVERFLOW_ROUTE, so the overflow stays visible instead of silent.
 */
export class RouteCardinalityGuard {
  private readonly seen = new Set<string>();

  constructor(readonly cap = 500) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`route cap: expected an integer ≥ 1, got ${cap}`);
  }

  admit(route: string): string {
    if (this.seen.has(route)) return route;
    if (this.seen.size >= this.cap) return OVERFLOW_ROUTE;
    this.seen.add(route);
    return route;
  }

  /** Frees `route`'s place (the namer forgets idle paths). */
  forget(route: string): void {
    this.seen.delete(route);
  }

  /** Whether `route` was admitted. */
  has(route: string): boolean {
    return this.seen.has(route);
  }

  get size(): number {
    return this.seen.size;
  }
}
