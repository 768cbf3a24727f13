// Teaches known routers to tell us their route templates, by editing one line of their source as
// Bun loads it (a runtime plugin). Neither bun-router nor Hono exposes a hook we could reach from
// outside: bun-router keeps its route tree in a closure, Hono registers routes in a private method.
// If the line we look for is not there (another version), the module loads untouched and the
// normaliser names the routes instead.
import type { Log } from '../runtime/log.ts';
import { wrapBunRouterHandler, wrapHonoHandler } from '../runtime/routers/router-handlers.ts';

const BUN_ROUTER_KEY = 'bun-apm.wrap-bun-router-handler';
const HONO_KEY = 'bun-apm.wrap-hono-handler';

interface SourcePatch {
  router: string;
  filter: RegExp;
  loader: 'js' | 'ts';
  find: string;
  replace: string;
}

const call = (key: string, args: string) => `(globalThis[Symbol.for(${JSON.stringify(key)})] ?? ((h) => h))(${args})`;

export const PATCHES: SourcePatch[] = [
  {
    router: 'hono',
    filter: /[\\/]hono[\\/]dist[\\/](cjs[\\/])?hono-base\.js$/,
    loader: 'js',
    find: 'this.router.add(method, path, [handler, r]);',
    replace: `this.router.add(method, path, [${call(HONO_KEY, 'handler, r.path')}, r]);`,
  },
  {
    router: 'bun-router',
    filter: /[\\/]bun-router[\\/]lib[\\/]router[\\/]router\.ts$/,
    loader: 'ts',
    find: 'const { addRoute, findRoute } = RouteTree();',
    replace:
      'const { addRoute: bunApmAddRoute, findRoute } = RouteTree();\n' +
      `\tconst addRoute = (pattern: string, method: string, handler: any) => bunApmAddRoute(pattern, method, ${call(BUN_ROUTER_KEY, 'handler, pattern')});`,
  },
];

/** Applies a patch to a module's source; undefined when the line isn't there. */
export function patchSource(patch: SourcePatch, source: string): string | undefined {
  const at = source.indexOf(patch.find);
  if (at < 0) return undefined;
  return source.slice(0, at) + patch.replace + source.slice(at + patch.find.length);
}

export function installRouterHooks(log: Log): void {
  const holder = globalThis as Record<symbol, unknown>;
  holder[Symbol.for(HONO_KEY)] = guarded(wrapHonoHandler);
  holder[Symbol.for(BUN_ROUTER_KEY)] = guarded(wrapBunRouterHandler);
  Bun.plugin({
    name: 'bun-apm router templates',
    setup(build) {
      for (const patch of PATCHES) {
        build.onLoad({ filter: patch.filter }, async (args) => {
          const source = await Bun.file(args.path).text();
          const patched = patchSource(patch, source);
          if (patched === undefined) {
            log.warnOnce(`router-${patch.router}`, `this ${patch.router} version is not recognised (${args.path}); its routes are named by the path normaliser`);
            return { contents: source, loader: patch.loader };
          }
          log.debug(`route templates from ${patch.router} (${args.path})`);
          return { contents: patched, loader: patch.loader };
        });
      }
    },
  });
}

/** A wrapper that fails returns the app's handler untouched. */
function guarded(wrap: (handler: unknown, template: unknown) => unknown): (handler: unknown, template: unknown) => unknown {
  return (handler, template) => {
    try {
      return wrap(handler, template);
    } catch {
      return handler;
    }
  };
}
