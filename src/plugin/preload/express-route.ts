// Express's route template from the patterns it was registered with (router 2.x keeps each layer's
// as `layer.rawPath`): the mount patterns of the routers and apps above a route, then the route's.
// `req.baseUrl` is the text those mounts matched, so a router mounted at `/orgs/:orgId/projects`
// named one route per tenant and filled the app's route cap.

import { normalisePath } from '../../core/route-normaliser.ts';

/** The little of Express's (router's) Layer read here. */
interface Layer {
  rawPath?: unknown;
  route?: unknown;
  handle?: { stack?: unknown; name?: unknown };
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
  pieces: Piece[];
  mount: RegExp;
  whole: RegExp;
}

/** A sub-app mounted in an app (Express's `mounted_app` layer: the sub-app itself is out of reach from it). */
interface Mount {
  pieces: Piece[];
  template: string;
  /** Fits the start of a path that went through this mount. */
  start: RegExp;
}

/** A route reached one way, for a request no route answered; `order` is the walk's (Express tries routes in that order). */
interface Ahead {
  route: { methods?: Record<string, unknown> };
  chain: Chain;
  order: number;
}

/** An app's walk: the chains of its routes, its sub-apps' mounts, and how long its and its parents' stacks were then. */
interface Walked {
  routes: WeakMap<object, Chain[]>;
  mounts: Mount[];
  sizes: number[];
  /** The routers and sub-apps mounted at a parameterised path (`/t/:tenant`), deepest first. */
  wilds: Mount[];
  /** The routes' chains by their first segment in lower case ('' when it is a parameter or a RegExp). */
  ahead: Map<string, Ahead[]>;
}

// Per app: filled by a walk of the app's routers when a route is first seen (so again only for a
// route registered after the last walk, or when no chain fits and the app or a parent has had layers
// added since: a router or sub-app mounted again after serving); a request tests two regexes.
const walkedApps = new WeakMap<object, Walked>();
// Per Route, whichever app's walk found it: a request that left a sub-app (`next(err)` to the
// parent's error handler, `next()` to its 404) ends with `req.app` the parent again, whose walk
// cannot enter the sub-app.
const chainsByRoute = new WeakMap<object, Chain[]>();
// A Route's own patterns as regexes, for a request that left a sub-app never walked.
const ownFits = new WeakMap<object, Array<{ piece: Piece; fit: RegExp }>>();
const walking = new Set<object>();

const MAX_DEPTH = 16;
const MAX_CHAINS = 16;
const MAX_MOUNTS = 64;
/** How many times a router may appear in its own chain (a router mounted inside itself). */
const MAX_REPEATS = 3;
const REGEXP_SHOWN = 100;

/**
 * The template of `route` as the request reached it (`/orgs/:orgId/projects/:pid`), from the chain
 * of patterns whose mount part fits `baseUrl` and whole fits `path` (a router mounted twice, or at
 * an array of paths, is reached several ways). A request that left a sub-app for its parent is named
 * by the chains the sub-app's walk found, else by the sub-app's mount in the parent and the route's
 * own pattern (with routers between them, their part of the path normalised). Undefined when the
 * layers keep no patterns (Express 4, router 1.x) or none fits.
 */
export function expressTemplate(app: unknown, route: object, baseUrl: string, path: string): string | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  let walked = walkedApps.get(app);
  let chains = walked?.routes.get(route);
  let found = chains === undefined ? undefined : fitting(chains, path, baseUrl);
  if (found === undefined && (walked === undefined || chains === undefined || grown(walked, app as ExpressApp))) {
    walked = walkedOf(app as ExpressApp, true);
    chains = walked.routes.get(route);
    if (chains === undefined) walked.routes.set(route, (chains = [])); // not under this app (it left a sub-app): not walked again
    found = fitting(chains, path, baseUrl);
  }
  if (found !== undefined || chains === undefined || walked === undefined) return found;
  // It left its router for the app's error handler or 404: `req.baseUrl` is reset, the whole path still fits.
  if (chains.length > 0) return fitting(chains, path);
  // It left a sub-app, whose walk found the route if a request had ended inside it before.
  return fitting(chainsByRoute.get(route) ?? [], path) ?? underMount(walked.mounts, route, path);
}

/** The first chain whose whole fits `path` and, when given, whose mounts fit `baseUrl`. */
function fitting(chains: Chain[], path: string, baseUrl?: string): string | undefined {
  for (const chain of chains) if ((baseUrl === undefined || chain.mount.test(baseUrl)) && chain.whole.test(path)) return chain.template;
  return undefined;
}

/** The route under the sub-app mount the path went through: its own pattern where the rest ends in it, else the rest normalised. */
function underMount(mounts: Mount[], route: object, path: string): string | undefined {
  for (const mount of mounts) {
    const matched = mount.start.exec(path);
    if (matched === null) continue;
    const rest = path.slice(matched[0].length) || '/';
    // Routers between the mount and the route (never walked, their patterns unknown): their part normalised.
    for (const { piece, fit } of ownFitsOf(route)) {
      const between = fit.exec(rest)?.[1];
      if (between !== undefined) return joined(between === '' ? mount.template : joined(mount.template, normalisePath(between)), shownOf(piece));
    }
    return joined(mount.template, normalisePath(rest));
  }
  return undefined;
}

function ownFitsOf(route: object): Array<{ piece: Piece; fit: RegExp }> {
  let fits = ownFits.get(route);
  if (fits === undefined) {
    fits = [];
    for (const piece of piecesOf((route as { path?: unknown }).path) ?? []) {
      try {
        fits.push({ piece, fit: new RegExp(`^((?:/[\\s\\S]*?)?)${fitOf(piece)}/?$`, 'i') });
      } catch {
        // a pattern this reading does not follow
      }
    }
    ownFits.set(route, fits);
  }
  return fits;
}

function joined(mount: string, rest: string): string {
  const template = `${mount}${rest === '/' ? '' : rest}`;
  return template === '' ? '/' : template;
}

/** The app's walk, again when it or a parent has had layers added since (always when `fresh`). */
function walkedOf(app: ExpressApp, fresh = false): Walked {
  const walked = walkedApps.get(app);
  if (walked !== undefined && !fresh && !grown(walked, app)) return walked;
  if (walking.has(app)) return walked ?? { routes: new WeakMap(), mounts: [], sizes: [], wilds: [], ahead: new Map() }; // apps mounted in each other
  walking.add(app);
  try {
    const made = walkApp(app);
    walkedApps.set(app, made);
    return made;
  } finally {
    walking.delete(app);
  }
}

function grown(walked: Walked, app: ExpressApp): boolean {
  const sizes = sizesOf(app);
  return sizes.length !== walked.sizes.length || sizes.some((size, i) => size !== walked.sizes[i]);
}

function stackOf(app: ExpressApp): unknown[] | undefined {
  // Express 4's `app.router` is a getter that throws; its `_router` is read first.
  const stack = (app._router ?? app.router)?.stack;
  return Array.isArray(stack) ? stack : undefined;
}

function sizesOf(app: ExpressApp): number[] {
  const sizes: number[] = [];
  for (let at: ExpressApp | undefined = app; at !== undefined && at !== null && sizes.length <= MAX_DEPTH; at = at.parent as ExpressApp | undefined) sizes.push(stackOf(at)?.length ?? -1);
  return sizes;
}

/** Every route under the app's router, with the chains of patterns that reach it. */
function walkApp(app: ExpressApp): Walked {
  const found = new Map<object, Chain[]>();
  const mounts: Piece[][] = [];
  const routers: Piece[][] = [];
  const stack = stackOf(app);
  if (stack !== undefined) for (const prefix of prefixesOf(app, 0)) walk(stack, prefix, found, mounts, new Map(), routers);
  const routes = new WeakMap<object, Chain[]>();
  const ahead = new Map<string, Ahead[]>();
  let order = 0;
  for (const [route, chains] of found) {
    routes.set(route, chains);
    chainsByRoute.set(route, chains);
    for (const chain of chains) {
      const key = firstSegment(chain.pieces);
      const bucket = ahead.get(key) ?? [];
      bucket.push({ route, chain, order: order++ });
      ahead.set(key, bucket);
    }
  }
  const wilds = [...routers, ...mounts].filter((pieces) => pieces.some(parameterised)).sort((a, b) => b.length - a.length);
  return { routes, mounts: mounts.flatMap(mountOf), sizes: sizesOf(app), wilds: wilds.flatMap(mountOf), ahead };
}

/**
 * The name of a request that no route answered, where Express's patterns tell more than its path:
 * refused (4xx, 5xx) or an OPTIONS preflight, the route whose pattern fits the path (one serving the
 * method first), as middleware stopped it before that route (a 429, a 401) or the method is not
 * served there; else, under a router or sub-app mounted at a parameterised path, that mount's
 * wildcard (`/t/:tenant/*`), so that a tenant's 404s are not one route per tenant. An answer of
 * middleware (a static file) is no route's: a path fitting one is named only by its mount. Routes
 * inside a sub-app are out of this app's reach (its mount is not). Undefined for neither: the path is
 * normalised.
 */
export function expressUnrouted(app: unknown, method: string, path: string, status: number): string | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  const walked = walkedOf(app as ExpressApp);
  if (status >= 400 || method === 'OPTIONS') {
    const route = routeAhead(walked, method.toLowerCase(), path);
    if (route !== undefined) return route;
  }
  for (const mount of walked.wilds) if (mount.start.test(path)) return joined(mount.template, '/*');
  return undefined;
}

/** The first route, in Express's order, whose chain fits `path` and that serves `method`; failing one, the first whose chain fits. */
function routeAhead(walked: Walked, method: string, path: string): string | undefined {
  let served: Ahead | undefined;
  let fits: Ahead | undefined;
  for (const bucket of [walked.ahead.get(pathSegment(path)), walked.ahead.get('')]) {
    for (const one of bucket ?? []) {
      if ((served !== undefined && one.order > served.order) || !one.chain.whole.test(path)) continue;
      if (serves(one.route, method)) served = one;
      else if (fits === undefined || one.order < fits.order) fits = one;
    }
  }
  return (served ?? fits)?.chain.template;
}

function serves(route: Ahead['route'], method: string): boolean {
  const methods = route.methods;
  return typeof methods === 'object' && methods !== null && (methods._all === true || methods[method] === true || (method === 'head' && methods.get === true));
}

/** A chain's first segment as a key: its literal text in lower case, or '' when that segment has a parameter or is a RegExp. */
function firstSegment(pieces: Piece[]): string {
  let text = '';
  for (const piece of pieces) {
    if (piece instanceof RegExp) return '';
    text += piece;
    const end = text.indexOf('/', 1);
    if (end > 0) return literal(text.slice(1, end));
  }
  return literal(text.slice(1));
}

function literal(segment: string): string {
  return /[:*{}()\\]/.test(segment) ? '' : segment.toLowerCase();
}

function pathSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return path.slice(1, end < 0 ? path.length : end).toLowerCase();
}

function parameterised(piece: Piece): boolean {
  return piece instanceof RegExp || /[:*]/.test(piece);
}

/**
 * The mount patterns above a sub-app, one list per way to reach it: its `mountpath` under its
 * parent's first (Express keeps only the last mount), then every sub-app mount the parent's walk
 * found (a sub-app mounted twice; `req.baseUrl` tells which one a request came through).
 */
function prefixesOf(app: ExpressApp, depth: number): Piece[][] {
  const parent = app.parent as ExpressApp | undefined;
  if (parent === undefined || parent === null || depth > MAX_DEPTH) return [[]];
  const own = piecesOf(app.mountpath) ?? [];
  const all = prefixesOf(parent, depth + 1).flatMap((above) => own.map((piece) => [...above, piece]));
  const shown = new Set(all.map(shownOfAll));
  // The parent's sub-app mounts, from its walk (made again if it has grown).
  for (const { pieces } of walkedOf(parent).mounts) {
    if (shown.has(shownOfAll(pieces))) continue;
    shown.add(shownOfAll(pieces));
    all.push(pieces);
  }
  return all;
}


function mountOf(pieces: Piece[]): Mount[] {
  try {
    return [{ pieces, template: shownOfAll(pieces), start: new RegExp(`^${pieces.map(fitOf).join('')}(?=/|$)`, 'i') }];
  } catch {
    return [];
  }
}

function shownOfAll(pieces: Piece[]): string {
  return pieces.map(shownOf).join('');
}

function walk(stack: unknown[], above: Piece[], found: Map<object, Chain[]>, mounts: Piece[][], open: Map<unknown, number>, routers: Piece[][]): void {
  const repeats = open.get(stack) ?? 0;
  if (repeats >= MAX_REPEATS || above.length > MAX_DEPTH) return; // a router mounted inside itself
  open.set(stack, repeats + 1);
  for (const item of stack) {
    const layer = item as Layer;
    const nested = layer?.handle?.stack;
    const route = typeof layer?.route === 'object' && layer.route !== null;
    const subApp = !route && !Array.isArray(nested) && layer?.handle?.name === 'mounted_app';
    if (!route && !Array.isArray(nested) && !subApp) continue;
    const pieces = piecesOf(layer.rawPath);
    if (pieces === undefined) continue; // no pattern kept: today's naming from req.baseUrl
    for (const piece of pieces) {
      if (route) addChain(found, layer.route as object, [...above, piece]);
      else if (subApp) {
        if (mounts.length < MAX_MOUNTS) mounts.push([...above, piece]);
      } else {
        if (routers.length < MAX_MOUNTS) routers.push([...above, piece]);
        walk(nested as unknown[], [...above, piece], found, mounts, open, routers);
      }
    }
  }
  open.set(stack, repeats);
}

/** A layer's patterns: one, or each of an array (`app.get(['/a', '/b'], …)`); undefined when it keeps none. */
function piecesOf(raw: unknown): Piece[] | undefined {
  const all = Array.isArray(raw) ? raw : [raw];
  return all.length > 0 && all.every((piece) => typeof piece === 'string' || piece instanceof RegExp) ? (all as Piece[]) : undefined;
}

function addChain(found: Map<object, Chain[]>, route: object, pieces: Piece[]): void {
  const chains = found.get(route) ?? [];
  if (chains.length >= MAX_CHAINS) return;
  const template = shownOfAll(pieces) || '/';
  try {
    const mount = new RegExp(`^${pieces.slice(0, -1).map(fitOf).join('')}/?$`, 'i');
    const whole = new RegExp(`^${pieces.map(fitOf).join('')}/?$`, 'i');
    chains.push({ template, pieces, mount, whole });
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
