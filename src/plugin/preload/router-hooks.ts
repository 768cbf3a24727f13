// The fallback for routers whose route template the preload cannot reach from outside: edits one
// line of Hono's and bun-router's source as Bun loads it (a runtime plugin), so that each handler
// they register is wrapped with its template. The adapters (runtime/routers) take the template from
// what the routers expose and come first; this runs only for an installed version inside the range
// the line was written for, and otherwise says in one line which routes the normaliser will name.
import { REGISTRY_KEY_NAME, REGISTRY_VERSION, slot } from '../runtime/registry.ts';
import type { Log } from '../runtime/log.ts';
import { wrapBunRouterHandler, wrapHonoHandler } from '../runtime/routers/router-handlers.ts';
import { inRange, installedVersion, parseVersion, type VersionRange } from './router-versions.ts';

type Wrap = (handler: unknown, template: unknown, method?: unknown) => unknown;
export interface RouterHooks {
  hono: Wrap;
  bunRouter: Wrap;
}

export interface SourcePatch {
  router: string;
  /** The registry hook the patched line calls. */
  hook: keyof RouterHooks;
  filter: RegExp;
  loader: 'js' | 'ts';
  /** Releases the line was written and tested for; any other version loads untouched. */
  versions: VersionRange;
  /** What an app does instead to name its routes from the router's public surface. */
  adapter: string;
  find: string;
  replace: string;
}

/**
 * The patched line finds the wrapper in the process-wide registry at the time a route is added (not
 * per request); without a registry of this version there, the handler is registered as it was.
 */
const call = (hook: keyof RouterHooks, args: string) =>
  `((bunApm) => (bunApm !== undefined && bunApm.version === ${REGISTRY_VERSION} && bunApm.routerHooks !== undefined ? bunApm.routerHooks.${hook} : (h) => h))` +
  `(globalThis[Symbol.for(${JSON.stringify(REGISTRY_KEY_NAME)})])(${args})`;

export const PATCHES: SourcePatch[] = [
  {
    router: 'hono',
    hook: 'hono',
    // ES modules only: a loader plugin's output is run as ESM, which breaks a CommonJS module
    // (oven-sh/bun#39786), so `require('hono')` is left untouched and named by the normaliser.
    filter: /[\\/]hono[\\/]dist[\\/]hono-base\.js$/,
    loader: 'js',
    versions: { from: [4, 0, 0], below: [5, 0, 0], label: '4.x' },
    adapter: "app.use(honoRoutes()) from 'bun-apm/middleware' names them from c.req.routePath",
    find: 'this.router.add(method, path, [handler, r]);',
    replace: `this.router.add(method, path, [${call('hono', 'handler, r.path, r.method')}, r]);`,
  },
  {
    router: 'bun-router',
    hook: 'bunRouter',
    filter: /[\\/]bun-router[\\/]lib[\\/]router[\\/]router\.ts$/,
    loader: 'ts',
    versions: { from: [0, 8, 0], below: [0, 9, 0], label: '0.8.x' },
    adapter: "bunRouterRoutes(Router(…)) from 'bun-apm/middleware' names them from the patterns it registers",
    find: 'const { addRoute, findRoute } = RouteTree();',
    replace:
      'const { addRoute: bunApmAddRoute, findRoute } = RouteTree();\n' +
      `\tconst addRoute = (pattern: string, method: string, handler: any) => bunApmAddRoute(pattern, method, ${call('bunRouter', 'handler, pattern')});`,
  },
];

/** Applies a patch to a module's source; undefined when the line isn't there. */
export function patchSource(patch: SourcePatch, source: string): string | undefined {
  const at = source.indexOf(patch.find);
  if (at < 0) return undefined;
  return source.slice(0, at) + patch.replace + source.slice(at + patch.find.length);
}

/** Why a patch is not applied to this version, or undefined when it may be. */
export function refusal(patch: SourcePatch, version: string | undefined): string | undefined {
  const parsed = parseVersion(version);
  if (parsed === undefined) return `the installed ${patch.router}'s version could not be read`;
  if (!inRange(parsed, patch.versions)) return `${patch.router} ${version} is not a version bun-apm's route hook was written for (${patch.versions.label})`;
  return undefined;
}

/** The one line said when a router's routes go to the normaliser. */
export function normalisedLine(patch: SourcePatch, reason: string): string {
  return (
    `${reason}: requests answered by ${patch.router} routes are keyed by their normalised path ` +
    `(ids, UUIDs and hashes become :id), unless ${patch.adapter}`
  );
}

export function installRouterHooks(log: Log): void {
  slot('routerHooks', (): RouterHooks => ({ hono: guarded(wrapHonoHandler), bunRouter: guarded(wrapBunRouterHandler) }));
  Bun.plugin({
    name: 'bun-apm router templates',
    setup(build) {
      for (const patch of PATCHES) {
        // Synchronous, as installedVersion says why: `require()` refuses a module an async loader made.
        build.onLoad({ filter: patch.filter }, (args) => {
          // Required here, once a router loads: the preload keeps node:fs out of the app's heap till then.
          const source = (require('node:fs') as typeof import('node:fs')).readFileSync(args.path, 'utf8');
          const version = installedVersion(args.path, patch.router);
          const refused = refusal(patch, version);
          const patched = refused === undefined ? patchSource(patch, source) : undefined;
          if (patched === undefined) {
            const reason = refused ?? `the line bun-apm's route hook edits is not in ${patch.router} ${version} (${args.path})`;
            log.warnOnce(`router-${patch.router}`, normalisedLine(patch, reason));
            return { contents: source, loader: patch.loader };
          }
          log.debug(`route templates from ${patch.router} ${version} (${args.path})`);
          return { contents: patched, loader: patch.loader };
        });
      }
    },
  });
}

/** A wrapper that fails returns the app's handler untouched. */
function guarded(wrap: Wrap): Wrap {
  return (handler, template, method) => {
    try {
      return wrap(handler, template, method);
    } catch {
      return handler;
    }
  };
}
