// Where a router adapter leaves the route template the router says it matched: on the request's
// state, for the recorder to key the request by. The first template noted wins, a wildcard never
// does (Hono's `c.req.routePath` names the middleware that answered: `app.use('/admin/*', auth)`
// would name every 401 under /admin), and an error the router caught keeps its class. A router that
// names the handler itself (Elysia's `context.route`) may name a wildcard under a path (`/docs/*`):
// one name for every path under it.
import { errorClassOf } from '../log.ts';
import { stateOf } from '../request-state.ts';

export function noteRoute(request: Request, template: unknown, error?: unknown, ofHandler = false): void {
  const state = stateOf(request);
  if (state === undefined) return;
  if (typeof template === 'string' && template !== '' && (ofHandler ? template !== '*' && template !== '/*' : !template.endsWith('*'))) {
    state.routerRoute ??= template.slice(0, 512);
  }
  if (error !== undefined && error !== null) state.error ??= errorClassOf(error);
}
