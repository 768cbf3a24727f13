// Express 4's mount patterns, rebuilt from what its layers keep. Express 4 (router 1.x) keeps no
// pattern text of a router's mount, only the RegExp it compiled and the parameters' names
// (`layer.keys`): a router at `/t/:tenant` had been named by the text it matched
// (`/t/acme/orders/:oid`), one route per tenant, filling the app's route cap. A mount's part of a
// template is its own match with each captured parameter shown as `:name` (an unnamed group or a
// `*` as `*`), the rest as matched. Express 5 keeps the patterns (express-route.ts reads them).

/** The little of an Express 4 layer read here. */
interface Layer4 {
  regexp?: unknown;
  keys?: unknown;
  route?: unknown;
  handle?: { stack?: unknown };
}

const MAX_DEPTH = 16;
/** Paths longer than this are not tested against mounts when no route answered. */
const MAX_TESTED_PATH = 2048;
/**
 * Layers looked at, at most, for one search: an app of thousands of mounts costs no more. A route's
 * way, once found, is kept (wayOf), so a search runs once per route and way, and for 404s.
 */
const MAX_VISITS = 500;
/** Ways kept per route (a router mounted at several paths is reached several ways). */
const MAX_WAYS = 8;

/** The mount layers a route was reached through, each way found, and how often its way was searched for, per Route. */
const waysOfRoute = new WeakMap<object, { ways: Layer4[][]; searches: number }>();

/** Each layer's RegExp again with the `d` flag (where each group matched), or null when it cannot be. */
const indexed = new WeakMap<RegExp, RegExp | null>();

/**
 * The template of the mounts that took `baseUrl` on the way to `route` (`/t/:tenant/shops/:shop`),
 * then the route's own pattern; undefined when the app is not Express 4's or no way through its
 * routers takes exactly `baseUrl` to the route. `root`: the app the server hands requests to, from
 * which the way is looked for (a sub-app used as a router's middleware keeps no way back to it).
 */
export function express4Template(app: unknown, route: object, baseUrl: string, routePath: string, root?: unknown): string | undefined {
  if (stackOf(app) === undefined || baseUrl === '') return undefined;
  const mounts = byKnownWay(route, baseUrl) ?? search(app, route, baseUrl, root);
  if (mounts === undefined) return undefined;
  const joined = `${mounts}${routePath === '/' ? '' : routePath}`;
  return joined === '' ? '/' : joined;
}

/** The mounts' template by a way the route was reached before, when its layers take all of `baseUrl`. */
function byKnownWay(route: object, baseUrl: string): string | undefined {
  for (const way of waysOfRoute.get(route)?.ways ?? []) {
    let rest = baseUrl;
    let shown = '';
    for (const layer of way) {
      const part = mountPart(layer, rest);
      if (part === undefined) break;
      shown += part.shown;
      rest = part.rest;
    }
    if (rest === '' || rest === '/') return shown;
  }
  return undefined;
}

/**
 * A search of the app's routers for the way to `route`, kept once found. At most MAX_WAYS searches
 * a route: one that found nothing within its budget (an app of thousands of mounts) would find
 * nothing again, at the same cost, on every request.
 */
function search(app: unknown, route: object, baseUrl: string, root: unknown): string | undefined {
  let known = waysOfRoute.get(route);
  if (known === undefined) waysOfRoute.set(route, (known = { ways: [], searches: 0 }));
  if (known.searches++ >= MAX_WAYS) return undefined;
  // Sub-apps mounted by app.use(): their layers keep no way to them, but `req.app` and its parents are they.
  const apps = appsAbove(app);
  const stack = stackOf(root) ?? stackOf(apps[0]);
  const trail: Layer4[] = [];
  const mounts = toRoute(stack!, route, baseUrl, '', { apps, depth: 0, visits: MAX_VISITS }, trail);
  if (mounts !== undefined) known.ways.push(trail);
  return mounts;
}

/**
 * For a request no route answered: the deepest router mount with a parameter the path went into,
 * as its wildcard (`/t/:tenant/*`), so that a tenant's 404s are not one route per tenant; undefined
 * when none has a parameter (the normaliser names the path).
 */
export function express4Wildcard(app: unknown, path: string, root?: unknown): string | undefined {
  const stack = stackOf(root) ?? stackOf(app);
  // As express-route.ts's: a longer path is left to the normaliser, its mounts' RegExps not run on it.
  if (path.length > MAX_TESTED_PATH) return undefined;
  if (stack === undefined) return undefined;
  const deepest = intoMounts(stack, path, '', false, { apps: [], depth: 0, visits: MAX_VISITS });
  return deepest === undefined ? undefined : `${deepest}/*`;
}

function stackOf(app: unknown): unknown[] | undefined {
  if ((typeof app !== 'function' && typeof app !== 'object') || app === null) return undefined;
  const stack = (app as { _router?: { stack?: unknown } })._router?.stack;
  // Express 4's layers have a compiled `regexp`; router 2.x's have `matchers` (express-route.ts).
  return Array.isArray(stack) && stack.some((layer) => (layer as Layer4)?.regexp instanceof RegExp) ? stack : undefined;
}

/** `app` and the apps it is mounted in by app.use() (Express 4 keeps each one's `parent`), the outermost first. */
function appsAbove(app: unknown): unknown[] {
  const apps = [app];
  for (let at = (app as { parent?: unknown }).parent; stackOf(at) !== undefined && apps.length <= MAX_DEPTH; at = (at as { parent?: unknown }).parent) apps.unshift(at);
  return apps;
}

interface Walk {
  /** The apps a sub-app mount may lead into (its layer keeps no way to it). */
  apps: unknown[];
  depth: number;
  /** Layers still to look at. */
  visits: number;
}

/**
 * The stacks a layer's handler holds: a router's; an app used as a router's middleware, its own
 * router's; an app mounted by app.use() (`mounted_app`), whichever of `apps` it is.
 */
function nestedStacks(layer: Layer4, apps: unknown[]): unknown[][] {
  const handle = layer?.handle as { stack?: unknown; name?: unknown } | undefined;
  if (layer?.route !== undefined || handle === undefined) return [];
  if (Array.isArray(handle.stack)) return [handle.stack];
  const own = stackOf(handle);
  if (own !== undefined) return [own];
  if (handle.name !== 'mounted_app') return [];
  const mounted = apps.filter((app) => (app as { parent?: unknown }).parent !== undefined).map(stackOf).filter((stack) => stack !== undefined);
  // None known: the mount itself still counts (a wildcard under it), with nothing found inside.
  return mounted.length > 0 ? mounted : [[]];
}

/**
 * Depth first, in Express's order: the mounts' template that takes all of `rest` into a router
 * holding `route`; `trail` ends holding the mount layers of that way.
 */
function toRoute(stack: unknown[], route: object, rest: string, above: string, walk: Walk, trail: Layer4[]): string | undefined {
  if (rest === '' || rest === '/') {
    for (const layer of stack) if ((layer as Layer4)?.route === route) return above;
  }
  if (walk.depth >= MAX_DEPTH) return undefined;
  for (const item of stack) {
    if (--walk.visits < 0) return undefined;
    const nested = nestedStacks(item as Layer4, walk.apps);
    if (nested.length === 0) continue;
    const part = mountPart(item as Layer4, rest);
    if (part === undefined) continue;
    trail.push(item as Layer4);
    for (const inner of nested) {
      walk.depth++;
      const found = toRoute(inner, route, part.rest, above + part.shown, walk, trail);
      walk.depth--;
      if (found !== undefined) return found;
    }
    trail.pop();
  }
  return undefined;
}

/**
 * The router mounts `rest` goes into, in Express's order, as deep as the first that takes it goes,
 * when one of them has a parameter (as shown); undefined when none has.
 */
function intoMounts(stack: unknown[], rest: string, above: string, wild: boolean, walk: Walk): string | undefined {
  if (walk.depth < MAX_DEPTH) {
    for (const item of stack) {
      if (--walk.visits < 0) break;
      const nested = nestedStacks(item as Layer4, walk.apps);
      if (nested.length === 0) continue;
      const part = mountPart(item as Layer4, rest);
      // A mount at the root (`app.use(router)`, `app.use('/', router)`) takes none of the path, and is gone into too.
      if (part === undefined) continue;
      walk.depth++;
      const found = intoMounts(nested[0]!, part.rest, above + part.shown, wild || part.parameterised, walk);
      walk.depth--;
      if (found !== undefined) return found;
    }
  }
  return wild ? above : undefined;
}

/**
 * How a router's mount takes the start of `rest`, as Express 4 matches it: the part shown (its
 * parameters as `:name`, no trailing slash) and what it leaves for the router. Undefined when it
 * does not match, or its groups are not its parameters one for one (a RegExp mount with groups of its own).
 */
function mountPart(layer: Layer4, rest: string): { shown: string; rest: string; parameterised: boolean } | undefined {
  const regexp = layer.regexp;
  if (!(regexp instanceof RegExp)) return undefined;
  // `app.use(router)`: Express 4 takes any path, none of it, without its RegExp.
  if ((regexp as { fast_slash?: unknown }).fast_slash === true) return { shown: '', rest, parameterised: false };
  const withIndices = indexedOf(regexp);
  const keys = Array.isArray(layer.keys) ? (layer.keys as Array<{ name?: unknown }>) : [];
  if (withIndices === null) return undefined;
  withIndices.lastIndex = 0; // a mount compiled with `g` or `y` starts where the last exec ended
  const found = withIndices.exec(rest);
  if (found === null || found.index !== 0 || found.length - 1 !== keys.length) return undefined;
  const matched = found[0];
  // A mount matched without regard to case (Express 4's default) is shown in lower case: `/T/acme`
  // and `/t/acme` are one way in, and one route.
  const literal = regexp.flags.includes('i') ? (text: string) => text.toLowerCase() : (text: string) => text;
  let shown = '';
  let at = 0;
  for (let i = 1; i < found.length; i++) {
    const where = found.indices?.[i];
    if (where === undefined || where[0] < at) continue;
    const name = keys[i - 1]?.name;
    shown += literal(matched.slice(at, where[0])) + (typeof name === 'string' ? `:${name}` : '*');
    at = where[1];
  }
  shown += literal(matched.slice(at));
  let left = rest.slice(matched.length);
  if (!left.startsWith('/')) left = `/${left}`;
  return { shown: shown.replace(/\/+$/, ''), rest: left, parameterised: found.length > 1 };
}

function indexedOf(regexp: RegExp): RegExp | null {
  let again = indexed.get(regexp);
  if (again === undefined) {
    try {
      again = new RegExp(regexp.source, regexp.flags.includes('d') ? regexp.flags : `${regexp.flags}d`);
    } catch {
      again = null;
    }
    indexed.set(regexp, again);
  }
  return again;
}
