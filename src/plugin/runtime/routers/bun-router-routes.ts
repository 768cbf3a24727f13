// bun-router's route templates through a wrapper: bun-router keeps its route tree in a closure and
// tells nobody which pattern matched, so the wrapper wraps each handler with its pattern as the app
// registers it, through the router's own public methods.
import { wrapBunRouterHandler } from './router-handlers.ts';

/** Registration methods and where their pattern and handler are: `add(pattern, method, handler)`, `get(pattern, handler)`. */
const METHODS: ReadonlyArray<readonly [name: string, handlerAt: number]> = [
  ['add', 2],
  ['get', 1],
  ['post', 1],
  ['put', 1],
  ['delete', 1],
];

/**
 * The same router, its routes named by their patterns (`/users/:id`) under the preload or the middleware.
 *
 * @example
 * const router = bunRouterRoutes(Router(3000));
 * router.get('/users/:id', (ctx) => http.json(200, { id: ctx.params.get('id') }));
 * router.serve();
 */
export function bunRouterRoutes<R extends object>(router: R): R {
  const target = router as Record<string, unknown>;
  for (const [name, handlerAt] of METHODS) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function bunApmRegister(this: unknown, ...args: unknown[]): unknown {
      if (args.length > handlerAt) args[handlerAt] = wrapBunRouterHandler(args[handlerAt], args[0]);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  return router;
}
