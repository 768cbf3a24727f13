// Express's route template from the patterns it was registered with (router 2.x keeps each layer's
// as `layer.rawPath`): the mount patterns of the routers and apps above a route, then the route's.
// `req.baseUrl` is the text those mounts matched, so a router mounted at `/orgs/:orgId/projects`
// named one route per tenant and filled the app's route cap.

/** The little of Express's (router's) Layer read here. */
interface Layer {
  rawPath?: unknown;
  route?: unknown;
  handle?: { stack?: unknown };
}

/** The little of an Express app read here: its router, and where it is mounted in its parent app. */
interface ExpressApp {
  _router?: { stack?: unknown };
  router?: { stack?: unknown };
  mountpath?: unknown;
  parent?: unknown;
}

type Piece = string | RegExp;

/** One way to reach a route: its template, and tests of the mounts' part (against `req.baseUrl`) and of the whole (the path asked). */
interface Chain {
  template: string;
  mount: RegExp;
  whole: RegExp;
}

// Per app, per Route object: filled by a walk of the app's routers when a route is first seen (so
// again only for a route registered after the last walk); a request looks up and tests two regexes.
const chainsByApp = new WeakMap<object, WeakMap<object, Chain[]>>();

const MAX_DEPTH = 16;
const MAX_CHAINS = 16;
const REGEXP_SHOWN = 100;

/**
 * The template of `route` as the request reached it (`/orgs/:orgId/projects/:pid`), from the chain
 * of patterns whose mount part fits `baseUrl` and whole fits `path` (a router mounted twice, or at
 * an array of paths, is reached several ways). Undefined when the layers keep no patterns (Express 4,
 * router 1.x) or none fits (the request left the route's router for an error handler or a 404).
 */
export function expressTemplate(app: unknown, route: object, baseUrl: string, path: string): string | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  let known = chainsByApp.get(app);
  let chains = known?.get(route);
  if (chains === undefined) {
    if (known === undefined) chainsByApp.set(app, (known = new WeakMap()));
    for (const [found, its] of walkApp(app as ExpressApp)) known.set(found, its);
    chains = known.get(route);
    if (chains === undefined) known.set(route, (chains = [])); // not under this app (it left a sub-app): not walked again
  }
  for (const chain of chains) if (chain.mount.test(baseUrl) && chain.whole.test(path)) return chain.template;
  return undefined;
}

/** Every route under the app's router, with the chains of patterns that reach it. */
function walkApp(app: ExpressApp): Map<object, Chain[]> {
  const found = new Map<object, Chain[]>();
  // Express 4's `app.router` is a getter that throws; its `_router` is read first.
  const stack = (app._router ?? app.router)?.stack;
  if (!Array.isArray(stack)) return found;
  for (const prefix of mountsOf(app, 0)) walk(stack, prefix, found, new Set());
  return found;
}

/** The mount patterns above a sub-app (`admin.mountpath` under its parent's), one list per way to reach it. */
function mountsOf(app: ExpressApp, depth: number): Piece[][] {
  const parent = app.parent as ExpressApp | undefined;
  if (parent === undefined || parent === null || depth > MAX_DEPTH) return [[]];
  const own = piecesOf(app.mountpath);
  if (own === undefined) return [];
  return mountsOf(parent, depth + 1).flatMap((above) => own.map((piece) => [...above, piece]));
}

function walk(stack: unknown[], above: Piece[], found: Map<object, Chain[]>, open: Set<unknown>): void {
  if (open.has(stack) || above.length > MAX_DEPTH) return; // a router mounted inside itself
  open.add(stack);
  for (const item of stack) {
    const layer = item as Layer;
    const nested = layer?.handle?.stack;
    if ((typeof layer?.route !== 'object' || layer.route === null) && !Array.isArray(nested)) continue;
    const pieces = piecesOf(layer.rawPath);
    if (pieces === undefined) continue; // no pattern kept: today's naming from req.baseUrl
    for (const piece of pieces) {
      if (typeof layer.route === 'object' && layer.route !== null) addChain(found, layer.route, [...above, piece]);
      else walk(nested as unknown[], [...above, piece], found, open);
    }
  }
  open.delete(stack);
}

/** A layer's patterns: one, or each of an array (`app.get(['/a', '/b'], …)`); undefined when it keeps none. */
function piecesOf(raw: unknown): Piece[] | undefined {
  const all = Array.isArray(raw) ? raw : [raw];
  return all.length > 0 && all.every((piece) => typeof piece === 'string' || piece instanceof RegExp) ? (all as Piece[]) : undefined;
}

function addChain(found: Map<object, Chain[]>, route: object, pieces: Piece[]): void {
  const chains = found.get(route) ?? [];
  if (chains.length >= MAX_CHAINS) return;
  const shown = pieces.map(shownOf).join('');
  const template = shown === '' ? '/' : shown;
  try {
    const mount = new RegExp(`^${pieces.slice(0, -1).map(fitOf).join('')}/?$`, 'i');
    const whole = new RegExp(`^${pieces.map(fitOf).join('')}/?$`, 'i');
    chains.push({ template, mount, whole });
    found.set(route, chains);
  } catch {
    // a pattern this reading does not follow: the route keeps today's naming
  }
}

/** As shown in the template: a path without its trailing slash (Express matches it either way), a RegExp by its source, bounded. */
function shownOf(piece: Piece): string {
  if (piece instanceof RegExp) return String(piece).slice(0, REGEXP_SHOWN);
  return piece.replace(/\/+$/, '');
}

/**
 * A regex source that a path matched by the pattern fits (path-to-regexp 8: `:name` one segment's
 * text, `*name` one or more segments, `{…}` optional, `\` escapes). Loose on purpose: it only picks
 * between ways to reach a route Express already matched. A RegExp pattern fits anything.
 */
function fitOf(piece: Piece): string {
  if (piece instanceof RegExp) return '[\\s\\S]*';
  const pattern = piece.replace(/\/+$/, '');
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      out += escaped(pattern[++i] ?? '');
    } else if (ch === ':' || ch === '*') {
      let end = i + 1;
      if (pattern[end] === '"') {
        const close = pattern.indexOf('"', end + 1);
        end = close < 0 ? pattern.length : close + 1;
      } else {
        while (end < pattern.length && /[$\p{ID_Continue}]/u.test(pattern[end]!)) end++;
      }
      out += ch === ':' ? '[^/]+' : '[\\s\\S]+';
      i = end - 1;
    } else {
      out += ch === '{' ? '(?:' : ch === '}' ? ')?' : escaped(ch);
    }
  }
  return out;
}

function escaped(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
