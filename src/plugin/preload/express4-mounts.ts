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
/** Layers looked at, at most, for one request: an app of thousands of routes costs no more. */
const MAX_VISITS = 2_000;

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
  // Sub-apps mounted by app.use(): their layers keep no way to them, but `req.app` and its parents are they.
  const apps = appsAbove(app);
  const stack = stackOf(root) ?? stackOf(apps[0]);
  const mounts = toRoute(stack!, route, baseUrl, '', { apps, depth: 0, visits: MAX_VISITS });
  if (mounts === undefined) return undefined;
  const joined = `${mounts}${routePath === '/' ? '' : routePath}`;
  return joined === '' ? '/' : joined;
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

/** Depth first, in Express's order: the mounts' template that takes all of `rest` into a router holding `route`. */
function toRoute(stack: unknown[], route: object, rest: string, above: string, walk: Walk): string | undefined {
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
    for (const inner of nested) {
      walk.depth++;
      const found = toRoute(inner, route, part.rest, above + part.shown, walk);
      walk.depth--;
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The deepest chain of router mounts `rest` goes into that has a parameter somewhere, as shown. */
function intoMounts(stack: unknown[], rest: string, above: string, wild: boolean, walk: Walk): string | undefined {
  let deepest = wild ? above : undefined;
  if (walk.depth >= MAX_DEPTH) return deepest;
  for (const item of stack) {
    if (--walk.visits < 0) break;
    const nested = nestedStacks(item as Layer4, walk.apps);
    if (nested.length === 0) continue;
    const part = mountPart(item as Layer4, rest);
    if (part === undefined || part.shown === '') continue;
    walk.depth++;
    const found = intoMounts(nested[0]!, part.rest, above + part.shown, wild || part.parameterised, walk);
    walk.depth--;
    if (found !== undefined && (deepest === undefined || found.length > deepest.length)) deepest = found;
  }
  return deepest;
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
  let shown = '';
  let at = 0;
  for (let i = 1; i < found.length; i++) {
    const where = found.indices?.[i];
    if (where === undefined || where[0] < at) continue;
    const name = keys[i - 1]?.name;
    shown += matched.slice(at, where[0]) + (typeof name === 'string' ? `:${name}` : '*');
    at = where[1];
  }
  shown += matched.slice(at);
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
