// Where a router adapter leaves the route template the router says it matched: on the request's
// state, for the recorder to key the request by. The first template noted wins, a catch-all (a
// middleware's `*` or `/*`) never does, and an error the router caught keeps its class. A wildcard
// under a path (`/docs/*`) is a route like any other: one name for every path under it.
import { errorClassOf } from '../log.ts';
import { stateOf } from '../request-state.ts';

export function noteRoute(request: Request, template: unknown, error?: unknown): void {
  const state = stateOf(request);
  if (state === undefined) return;
  if (typeof template === 'string' && template !== '' && template !== '*' && template !== '/*') state.routerRoute ??= template.slice(0, 512);
  if (error !== undefined && error !== null) state.error ??= errorClassOf(error);
}
