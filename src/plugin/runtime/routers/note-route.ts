// Where a router adapter leaves the route template the router says it matched: on the request's
// state, for the recorder to key the request by. The first template noted wins, and an error the
// router caught keeps its class. A wildcard under a path (`/docs/*`: one name for every path under
// it) only from a handler known to have answered (`ofHandler`: Elysia's `context.route`, Hono's when
// noteHonoRoute can tell): a `*` that only passed the request on (to a 404) names nothing, unless it
// is under a parameter (`/t/:tenant/*`, a sub-app routed at a tenant's path), whose text would
// otherwise name one route per tenant.
import { bodyOverLimit } from '../body-over-limit.ts';
import { errorClassOf } from '../log.ts';
import { stateOf, type RequestState } from '../request-state.ts';

export function noteRoute(request: Request, template: unknown, error?: unknown, ofHandler = false): void {
  const state = stateOf(request);
  if (state === undefined) return;
  if (typeof template === 'string' && template !== '' && (ofHandler ? template !== '*' && template !== '/*' : !template.endsWith('*') || underParameter(template))) {
    state.routerRoute ??= template.slice(0, 512);
  }
  if (error !== undefined && error !== null) noteCaught(state, error);
}

/**
 * An error a router caught and answered for: its class, and whether it was Bun's refusal of a body
 * over maxRequestBodySize (then the client got Bun's 413, whatever the router answered).
 */
export function noteCaught(state: RequestState, error: unknown): void {
  state.error ??= errorClassOf(error);
  if (bodyOverLimit(error)) state.bodyRefused = true;
}

/** A wildcard under a parameter (`/t/:tenant/*`): one name for what every tenant's path under it gets. */
export function underParameter(template: string): boolean {
  return template.endsWith('*') && /[:*]/.test(template.slice(0, -1));
}
