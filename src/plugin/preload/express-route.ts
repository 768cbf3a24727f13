// Express's route template from the patterns it was registered with (router 2.x keeps each layer's
// as `layer.rawPath`): the mount patterns of the routers and apps above a route, then the route's.
// `req.baseUrl` is the text those mounts matched, so a router mounted at `/orgs/:orgId/projects`
// named one route per tenant and filled the app's route cap. Which way a path went is tested with
// Express's own matchers, as its router tests it (express-matchers.ts).

import { normalisePath } from '../../core/route-normaliser.ts';
import { fitsMount, fitsWhole, matchedBy, piecesOf, shownOf, stepOf, stepsOf, taken, type Layer, type Piece, type Step } from './express-matchers.ts';

/** The little of an Express app read here: its router, and where it is mounted in its parent app. */
interface ExpressApp {
  _router?: { stack?: unknown };
  router?: { stack?: unknown };
  mountpath?: unknown;
  parent?: unknown;
}

/**
 * A way through patterns: as shown, and the steps that test a path against them. A route's ends
 * with the route's own pattern; a mount's (a router or sub-app in an app: a sub-app itself is out
 * of reach from Express's `mounted_app` layer) with the mount's.
 */
interface Chain {
  template: string;
  steps: Step[];
  /** The last `req.baseUrl` tested against the chain's mounts, and whether they took it: a mount's matcher costs what Express's own routing does, and a static mount sees the same text on every request. */
  lastBase?: string;
  lastBaseFits?: boolean;
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
  mounts: Chain[];
  sizes: number[];
  /** The routers and sub-apps mounted at a parameterised path (`/t/:tenant`), the app's own mount among them, deepest first. */
  wilds: Chain[];
  /** The routes' chains by their first segment in lower case ('' when it is a parameter or a RegExp). */
  ahead: Map<string, Ahead[]>;
}

// Per app: filled by a walk of the app's routers when a route is first seen (so again only for a
// route registered after the last walk, or when no chain fits and the app or a parent has had layers
// added since: a router or sub-app mounted again after serving); a request runs its chain's matchers.
const walkedApps = new WeakMap<object, Walked>();
// Per Route, whichever app's walk found it: a request that left a sub-app (`next(err)` to the
// parent's error handler, `next()` to its 404) ends with `req.app` the parent again, whose walk
// cannot enter the sub-app.
const chainsByRoute = new WeakMap<object, Chain[]>();
// A Route's own patterns as loose matchers, for a request that left a sub-app never walked.
const ownFits = new WeakMap<object, Step[]>();
const walking = new Set<object>();

const MAX_DEPTH = 16;
const MAX_CHAINS = 16;
const MAX_MOUNTS = 64;
/** How many times a router may appear in its own chain (a router mounted inside itself). */
const MAX_REPEATS = 3;
/** Paths longer than this are not tested against chains when no route answered: the normaliser names them. */
const MAX_TESTED_PATH = 2048;
/** Chains tried at most for a request no route answered. */
const MAX_TESTED_CHAINS = 128;
/** Where, at most, routers never walked may have ended in a path that left a sub-app. */
const MAX_BETWEEN = 32;

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

/**
 * The first chain whose whole fits `path` and, when given, whose mounts fit `baseUrl`. A route
 * reached one way only needs no test of the whole: Express ran the route's matcher on the rest of
 * this path after its mounts took `baseUrl` (that is how `req.route` came to be this route).
 */
function fitting(chains: Chain[], path: string, baseUrl?: string): string | undefined {
  if (baseUrl !== undefined && chains.length === 1) return mountTakes(chains[0]!, baseUrl) ? chains[0]!.template : undefined;
  for (const chain of chains) if ((baseUrl === undefined || mountTakes(chain, baseUrl)) && fitsWhole(chain.steps, path)) return chain.template;
  return undefined;
}

function mountTakes(chain: Chain, baseUrl: string): boolean {
  if (chain.lastBase !== baseUrl) {
    chain.lastBaseFits = fitsMount(chain.steps, baseUrl);
    chain.lastBase = baseUrl;
  }
  return chain.lastBaseFits === true;
}

/** The route under the sub-app mount the path went through: its own pattern where the rest ends in it, else the rest normalised. */
function underMount(mounts: Chain[], route: object, path: string): string | undefined {
  for (const mount of mounts) {
    const at = taken(mount.steps, mount.steps.length, path, false);
    if (at < 0) continue;
    const rest = path.slice(at) || '/';
    // Routers between the mount and the route (never walked, their patterns unknown): their part
    // normalised. The route's pattern is tried on the rest from each `/` on, a bounded number of them.
    for (const { piece, match } of ownFitsOf(route)) {
      for (let from = 0, tries = 0; from >= 0 && tries < MAX_BETWEEN; from = rest.indexOf('/', from + 1), tries++) {
        if (matchedBy(match, rest.slice(from)) === undefined) continue;
        const between = rest.slice(0, from);
        return joined(between === '' ? mount.template : joined(mount.template, normalisePath(between)), shownOf(piece));
      }
    }
    return joined(mount.template, normalisePath(rest));
  }
  return undefined;
}

function ownFitsOf(route: object): Step[] {
  let fits = ownFits.get(route);
  if (fits === undefined) {
    fits = (piecesOf((route as { path?: unknown }).path) ?? []).flatMap((piece) => stepOf(piece, true));
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
  const mounts: Step[][] = [];
  const routers: Step[][] = [];
  const stack = stackOf(app);
  const prefixes = prefixesOf(app, 0);
  if (stack !== undefined) for (const prefix of prefixes) walk(stack, prefix, found, mounts, new Map(), routers);
  const routes = new WeakMap<object, Chain[]>();
  const ahead = new Map<string, Ahead[]>();
  let order = 0;
  for (const [route, chains] of found) {
    routes.set(route, chains);
    chainsByRoute.set(route, chains);
    for (const chain of chains) {
      const key = firstSegment(chain.steps);
      const bucket = ahead.get(key) ?? [];
      bucket.push({ route, chain, order: order++ });
      ahead.set(key, bucket);
    }
  }
  // A sub-app's own mounts too: its middleware's 404 at `/b/:tenant` had been one route per tenant (a review).
  const wilds = [...routers, ...mounts, ...prefixes].filter((steps) => steps.some(({ piece }) => parameterised(piece))).sort((a, b) => b.length - a.length);
  return { routes, mounts: mounts.map(mountOf), sizes: sizesOf(app), wilds: wilds.map(mountOf), ahead };
}

/**
 * The name of a request that no route answered, where Express's patterns tell more than its path:
 * refused (4xx, 5xx) or an OPTIONS preflight, the route whose pattern fits the path (one serving the
 * method first), as middleware stopped it before that route (a 429, a 401) or the method is not
 * served there; else, refused or answered inside a router or sub-app (`baseUrl` not yet reset)
 * mounted at a parameterised path, that mount's wildcard (`/t/:tenant/*`), so that a tenant's 404s
 * are not one route per tenant. An answer of middleware outside every mount (a static file) is no
 * route's: it keeps its path. Routes inside a sub-app are out of this app's reach (its mount is not).
 * Undefined for neither, and for a path too long to test: the normaliser names it.
 */
export function expressUnrouted(app: unknown, method: string, path: string, status: number, baseUrl: string): string | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null || path.length > MAX_TESTED_PATH) return undefined;
  const walked = walkedOf(app as ExpressApp);
  const refused = status >= 400;
  if (refused || method === 'OPTIONS') {
    const route = routeAhead(walked, method.toLowerCase(), path);
    if (route !== undefined) return route;
  }
  if (!refused && baseUrl === '') return undefined;
  for (const mount of walked.wilds) if (taken(mount.steps, mount.steps.length, path, false) >= 0) return joined(mount.template, '/*');
  return undefined;
}

/**
 * The first route, in Express's order, whose chain fits `path` and that serves `method`; failing one,
 * the first whose chain fits. At most MAX_TESTED_CHAINS are tried: a scanner's 404s against an app
 * of a thousand routes that start with a parameter must not each cost a thousand matchers.
 */
function routeAhead(walked: Walked, method: string, path: string): string | undefined {
  let served: Ahead | undefined;
  let fits: Ahead | undefined;
  let tested = 0;
  for (const bucket of [walked.ahead.get(pathSegment(path)), walked.ahead.get('')]) {
    for (const one of bucket ?? []) {
      if (served !== undefined && one.order > served.order) continue;
      if (++tested > MAX_TESTED_CHAINS) return (served ?? fits)?.chain.template;
      if (!fitsWhole(one.chain.steps, path)) continue;
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
function firstSegment(steps: Step[]): string {
  let text = '';
  for (const { piece } of steps) {
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
 * parent's first (Express keeps only the last mount; its layer is out of reach, so a loose matcher
 * of the pattern stands in), then every sub-app mount the parent's walk found (a sub-app mounted
 * twice; `req.baseUrl` tells which one a request came through).
 */
function prefixesOf(app: ExpressApp, depth: number): Step[][] {
  const parent = app.parent as ExpressApp | undefined;
  if (parent === undefined || parent === null || depth > MAX_DEPTH) return [[]];
  const own = (piecesOf(app.mountpath) ?? []).flatMap((piece) => stepOf(piece, false));
  const all = prefixesOf(parent, depth + 1).flatMap((above) => own.map((step) => [...above, step]));
  const shown = new Set(all.map(shownOfAll));
  // The parent's sub-app mounts, from its walk (made again if it has grown).
  for (const { steps } of walkedOf(parent).mounts) {
    if (shown.has(shownOfAll(steps))) continue;
    shown.add(shownOfAll(steps));
    all.push(steps);
  }
  return all;
}

function mountOf(steps: Step[]): Chain {
  return { steps, template: shownOfAll(steps) };
}

function shownOfAll(steps: Step[]): string {
  return steps.map(({ piece }) => shownOf(piece)).join('');
}

function walk(stack: unknown[], above: Step[], found: Map<object, Chain[]>, mounts: Step[][], open: Map<unknown, number>, routers: Step[][]): void {
  const repeats = open.get(stack) ?? 0;
  if (repeats >= MAX_REPEATS || above.length > MAX_DEPTH) return; // a router mounted inside itself
  open.set(stack, repeats + 1);
  for (const item of stack) {
    const layer = item as Layer;
    const nested = layer?.handle?.stack;
    const route = typeof layer?.route === 'object' && layer.route !== null;
    const subApp = !route && !Array.isArray(nested) && layer?.handle?.name === 'mounted_app';
    if (!route && !Array.isArray(nested) && !subApp) continue;
    const steps = stepsOf(layer);
    if (steps === undefined) continue; // no pattern kept: today's naming from req.baseUrl
    for (const step of steps) {
      if (route) addChain(found, layer.route as object, [...above, step]);
      else if (subApp) {
        if (mounts.length < MAX_MOUNTS) mounts.push([...above, step]);
      } else {
        if (routers.length < MAX_MOUNTS) routers.push([...above, step]);
        walk(nested as unknown[], [...above, step], found, mounts, open, routers);
      }
    }
  }
  open.set(stack, repeats);
}

function addChain(found: Map<object, Chain[]>, route: object, steps: Step[]): void {
  const chains = found.get(route) ?? [];
  if (chains.length >= MAX_CHAINS) return;
  chains.push({ template: shownOfAll(steps) || '/', steps });
  found.set(route, chains);
}

