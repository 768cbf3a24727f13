// Turns raw paths into route templates when no router told us the template, and bounds how many exist.

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NUMBER = /^[+-]?\d+(?:[.,]\d+)?$/;
/** Hex ids: Mongo ObjectIds, git SHAs, hashes. A digit is required so that words made of a–f stay. */
const HEX_ID = /^(?=.*\d)[0-9a-f]{8,}$/i;
/** Long opaque tokens: base64/base64url, ULIDs, nanoids, JWT-like. */
const TOKEN = /^[A-Za-z0-9_\-.~=+]{16,}$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?$/;
const EMAIL = /^[^@/\s]+@[^@/\s]+\.[a-z]{2,}$/i;

const MAX_SEGMENTS = 16;

/** The placeholder every id-like segment becomes. */
export const ID_PLACEHOLDER = ':id';

/**
 * `/users/42/orders/9f8e…` → `/users/:id/orders/:id`. Query and fragment are dropped; long
 * paths are cut at MAX_SEGMENTS so that crawler paths don't each become a route.
 */
export function normalisePath(rawPath: string): string {
  let path = rawPath;
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  if (!path.startsWith('/')) path = `/${path}`;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length && out.length < MAX_SEGMENTS; i++) {
    out.push(normaliseSegment(segments[i]!));
  }
  if (segments.length - 1 > MAX_SEGMENTS) out.push('*');
  return `/${out.join('/')}`;
}

function normaliseSegment(segment: string): string {
  if (segment === '') return segment;
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return ID_PLACEHOLDER; // broken percent-encoding is not a route name
  }
  if (NUMBER.test(decoded) || UUID.test(decoded) || HEX_ID.test(decoded) || DATE.test(decoded) || EMAIL.test(decoded)) {
    return ID_PLACEHOLDER;
  }
  if (TOKEN.test(decoded) && looksRandom(decoded)) return ID_PLACEHOLDER;
  if (decoded.length > 64) return ID_PLACEHOLDER;
  return segment;
}

/** A long token with digits and letters mixed is an id; `getting-started-with-bun` is not. */
function looksRandom(token: string): boolean {
  const digits = token.replace(/\D/g, '').length;
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

  get size(): number {
    return this.seen.size;
  }
}
