// The path of a request that Bun matched to a `routes` template, put back together from the
// template and `request.params` when that gives the request's path. Reading `request.url` makes Bun
// build the whole URL string (≈ 2,000 instructions a request under callgrind, a tenth of a plain
// request); `params` Bun already has. Only sampled and traced requests need their path at all.
// The parameters are read when the request ends: a handler that rewrites `request.params` in place
// changes the path recorded (the URL is what the client sent).
import { pathOf } from '../../core/request-key.ts';

/** A template as literal text and parameter names, alternating: [text, name, text, …, text]. */
type Pieces = readonly string[];

/** A parameter segment whose name is the whole segment (`:id`, not `:id.json`, which is read from the URL). */
const PARAMETER = /^:[A-Za-z_$][\w$]*$/;
/** A literal segment Bun matches only as sent: no wildcard (`*`), no `%`, nothing a client would have to encode, no dot segment. */
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=@]*$/;
/**
 * Bun hands parameters decoded (`%20` → space). A value of unreserved characters only could have
 * come percent-encoded (`%41` → `A`), a spelling RFC 3986 (6.2.2.2) counts as the same URL; any
 * other character means the URL itself must be read.
 */
const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

/** Templates seen, with their pieces, or null when a template cannot be rebuilt (a wildcard, odd characters). */
const piecesOf = new Map<string, Pieces | null>();
/** An app registers a bounded set of templates; past this (reloads with new ones), the cache starts over. */
const MAX_TEMPLATES = 1_000;

function parse(template: string): Pieces | null {
  const pieces = [''];
  for (const segment of template.slice(1).split('/')) {
    pieces[pieces.length - 1] += '/';
    if (segment.startsWith(':')) {
      // A name twice (`/files/:id/:id`, normalised from a path) holds one value: it cannot say the path.
      if (!PARAMETER.test(segment) || pieces.includes(segment.slice(1))) return null;
      pieces.push(segment.slice(1), '');
    } else if (LITERAL.test(segment) && segment !== '.' && segment !== '..') {
      pieces[pieces.length - 1] += segment;
    } else {
      return null;
    }
  }
  return pieces;
}

/**
 * The request's path, or undefined when the template and parameters cannot say it exactly (the
 * caller then reads the URL).
 *
 * @example
 * pathFromRoute('/users/:id', { id: '42' }) // '/users/42'
 * pathFromRoute('/users/:id', { id: 'a b' }) // undefined: sent as a%20b or a+b? only the URL knows
 */
export function pathFromRoute(template: string, params: Record<string, string> | undefined): string | undefined {
  if (params === undefined || params === null) return undefined;
  let pieces = piecesOf.get(template);
  if (pieces === undefined) {
    if (piecesOf.size >= MAX_TEMPLATES) piecesOf.clear();
    pieces = template.startsWith('/') ? parse(template) : null;
    piecesOf.set(template, pieces);
  }
  if (pieces === null) return undefined;
  let path = pieces[0]!;
  for (let i = 1; i < pieces.length; i += 2) {
    const value = params[pieces[i]!];
    // `.` and `..` are dot segments: the URL drops them, Bun's parameter keeps them.
    if (typeof value !== 'string' || !UNRESERVED.test(value) || value === '.' || value === '..') return undefined;
    path += value + pieces[i + 1]!;
  }
  return path;
}

/**
 * A Bun `routes` request's template, found from its path and `request.params`, for the explicit
 * middleware without the preload (which alone sees the routes' keys): `/orgs/acme/repos/w` with
 * { org: 'acme', repo: 'w' } is `/orgs/:org/repos/:repo`. The parameters take segments in their
 * order; where their values could sit in more than one way (`/orgs/orgs/repos/w`: is `orgs` the
 * word or the value?) none is guessed (a review: `/:org/orgs/repos/:repo`). The rest is normalised
 * as a path is, so a wildcard's part (`/files/:id/*`) cannot make routes without limit. Undefined
 * for a request without parameters (a fetch handler's, a route without any, a wildcard alone) or an
 * ambiguous one: its path is normalised.
 */
export function templateFromParams(request: Request, normalise: (path: string) => string): string | undefined {
  const params = (request as Request & { params?: unknown }).params;
  if (params === null || typeof params !== 'object') return undefined;
  const names = Object.keys(params);
  if (names.length === 0 || names.length > MAX_PARAMETERS) return undefined;
  const values: string[] = [];
  for (const name of names) {
    const value = (params as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !PARAMETER.test(`:${name}`)) return undefined;
    values.push(value);
  }
  const segments = pathOf(request.url).split('/');
  if (segments.length > MAX_SEGMENTS) return undefined;
  const at = onlyPlacing(values, segments.map(decoded));
  if (at === undefined) return undefined;
  at.forEach((index, i) => (segments[index] = `:${names[i]}`));
  return normalise(segments.join('/'));
}

/** Parameters a template could have: more is not a route of an app's. */
const MAX_PARAMETERS = 32;
/** Segments a path may have for its parameters to be placed (a route has far fewer). */
const MAX_SEGMENTS = 64;
/** Steps the search for placings may take: past them, it is not a route's path. */
const MAX_STEPS = 4_096;

/**
 * The segments `values` stand in, in order, each after the one before (segment 0, before the first
 * `/`, is never one), when exactly one such placing exists; undefined for none or several.
 */
function onlyPlacing(values: readonly string[], segments: readonly string[]): number[] | undefined {
  let found: number[] | undefined;
  let placings = 0;
  let steps = 0;
  const at: number[] = [];
  const walk = (value: number, from: number): void => {
    if (value === values.length) {
      placings++;
      found = [...at];
      return;
    }
    for (let i = from; i < segments.length && placings < 2 && ++steps <= MAX_STEPS; i++) {
      if (segments[i] !== values[value]) continue;
      at.push(i);
      walk(value + 1, i + 1);
      at.pop();
    }
  };
  walk(0, 1);
  return placings === 1 && steps <= MAX_STEPS ? found : undefined;
}

/** A path segment as Bun hands a parameter (decoded); itself when it is not valid percent-encoding. */
function decoded(segment: string): string {
  try {
    return segment.includes('%') ? decodeURIComponent(segment) : segment;
  } catch {
    return segment;
  }
}
