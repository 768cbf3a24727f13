// Testing a path against Express's patterns as its router does: each layer's own matchers
// (`layer.matchers`, router 2.x), a mount's taking the start of the path and a route's the rest.
// Regexes of our own had let one 3,000-character 404 backtrack for seconds (a review), and had
// ignored case-sensitive and strict routing and RegExp routes. express-route.ts walks the layers.

/** As long as a RegExp pattern is shown in a template, at most. */
const REGEXP_SHOWN = 100;

/** The little of Express's (router's) Layer read here. */
export interface Layer {
  rawPath?: unknown;
  matchers?: unknown;
  slash?: unknown;
  route?: unknown;
  handle?: { stack?: unknown; name?: unknown };
}

/** One of `layer.matchers`: the part of `path` its pattern matched (all of it for a route), or false. */
export type Matcher = (path: string) => false | { path?: unknown };

/** One pattern of a chain: as shown in the template, and how a path is tested against it. */
export interface Step {
  piece: Piece;
  match: Matcher;
}

export type Piece = string | RegExp;

/**
 * How much of `path` the steps take as Express's router does: each mount's matcher on what the
 * mounts before it left (a match must end at a `/` or the path's end), the last one on the rest.
 * `end`: the last step is a route, whose matcher takes the whole rest. -1 when they do not fit.
 */
export function taken(steps: Step[], count: number, path: string, end: boolean): number {
  let rest = path;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const matched = matchedBy(steps[i]!.match, rest);
    if (matched === undefined) return -1;
    if (end && i === count - 1) return path.length;
    if (matched.length === 0) continue;
    const next = rest[matched.length];
    if (next !== undefined && next !== '/') return -1;
    at += matched.length;
    rest = rest.slice(matched.length) || '/';
  }
  return at;
}

export function matchedBy(match: Matcher, path: string): string | undefined {
  try {
    const result = match(path);
    return result === false || typeof result?.path !== 'string' ? undefined : result.path;
  } catch {
    return undefined; // a parameter that does not decode: Express answers 400 itself
  }
}

export function fitsWhole(steps: Step[], path: string): boolean {
  return taken(steps, steps.length, path, true) >= 0;
}

/** The mounts of a chain took all of `baseUrl` (the text they matched, without its trailing slash). */
export function fitsMount(steps: Step[], baseUrl: string): boolean {
  const mounts = steps.length - 1;
  if (mounts === 0) return baseUrl === '' || baseUrl === '/';
  const at = taken(steps, mounts, baseUrl || '/', false);
  return at >= 0 && (at >= baseUrl.length || baseUrl.slice(at) === '/');
}

/** A layer's patterns with their matchers (one each, `app.get(['/a', '/b'], …)`); undefined when it keeps none (Express 4). */
export function stepsOf(layer: Layer): Step[] | undefined {
  const pieces = piecesOf(layer.rawPath);
  const matchers = layer.matchers;
  if (pieces === undefined || !Array.isArray(matchers) || matchers.length !== pieces.length || !matchers.every((m) => typeof m === 'function')) return undefined;
  // Express matches a `/` mount without its matcher: any path, none of it taken.
  if (layer.slash === true) return pieces.map((piece) => ({ piece, match: () => ({ path: '' }) }));
  return pieces.map((piece, i) => ({ piece, match: matchers[i] as Matcher }));
}

/** A layer's patterns: one, or each of an array (`app.get(['/a', '/b'], …)`); undefined when it keeps none. */
export function piecesOf(raw: unknown): Piece[] | undefined {
  const all = Array.isArray(raw) ? raw : [raw];
  return all.length > 0 && all.every((piece) => typeof piece === 'string' || piece instanceof RegExp) ? (all as Piece[]) : undefined;
}

/** As shown in the template: a path without its trailing slash (Express matches it either way), a RegExp by its source, bounded. */
export function shownOf(piece: Piece): string {
  if (piece instanceof RegExp) return String(piece).slice(0, REGEXP_SHOWN);
  return piece.replace(/\/+$/, '');
}

/**
 * A loose stand-in for Express's matcher of a pattern whose layer is out of reach (a sub-app's own
 * mount path, a route met only after it left its sub-app): segment by segment, one with a parameter
 * fits any one segment's text, and from a wildcard or an optional group on anything fits. It cannot
 * backtrack beyond a segment. `end`: the pattern takes the whole path (a route), else a start of it.
 * A RegExp pattern is Express's own test. None when the pattern cannot be read.
 */
export function stepOf(piece: Piece, end: boolean): Step[] {
  if (piece instanceof RegExp) return [{ piece, match: (path) => { const found = piece.exec(path); return found === null ? false : { path: found[0] }; } }];
  let source = '';
  let open = false;
  for (const segment of piece.replace(/\/+$/, '').split('/').slice(1)) {
    if (/[*{]/.test(segment)) {
      open = true;
      break;
    }
    source += /[:\\(]/.test(segment) ? '/[^/]+' : `/${segment.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`;
  }
  try {
    const fit = new RegExp(`^${source}${open ? '(?:/.*)?' : ''}${end ? '/?$' : '(?=/|$)'}`, 'i');
    return [{ piece, match: (path) => { const found = fit.exec(path); return found === null ? false : { path: end ? path : found[0] }; } }];
  } catch {
    return [];
  }
}
