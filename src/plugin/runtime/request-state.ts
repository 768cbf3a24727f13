// What bun-apm knows about one request while it runs, and where router hooks find it to leave the
// route template they matched. Three places, cheapest first: the preload's one reusable slot for
// the request whose handler is running right now (no allocation: most requests end there); a weak
// map for a request with a state of its own (traced, continuing a trace, or gone async behind a
// router); and, only when the explicit middleware is loaded, a mark on the Request itself under a
// process-wide symbol, which stops the preload and the middleware counting it twice.
import type { Span } from '../../core/wire-format.ts';
import { slot } from './registry.ts';

/** The explicit tracer's part in a request the preload traces: it is handed the server span, for a copy of its own. */
export interface TracerPart {
  onSpan: (span: Span) => void;
}

/** From the process-wide registry, so that two copies of bun-apm in one process still see each other's mark. */
export const REQUEST_STATE: unique symbol = slot('requestMark', () => Symbol('bun-apm.request-state')) as never;

export type MarkedRequest = Request & { [REQUEST_STATE]?: RequestState };

export class RequestState {
  request!: Request;
  /** performance.now() at the start. */
  start!: number;
  method!: string;
  /** Template from the Bun.serve `routes` key that matched. */
  serveRoute: string | undefined;
  /** Template of the router handler (bun-router, Hono) that produced the response. */
  routerRoute: string | undefined;
  /** Template of a router handler that threw, when the router answered for it (Hono's onError). */
  erroredRoute: string | undefined;
  /** Error class of a handler that threw or rejected. */
  error: string | undefined;
  /**
   * A router caught Bun's refusal of a body over maxRequestBodySize (Hono's onError answers 500):
   * Bun sent 413, whatever the app answered. Set only with `error`, so the slot's `take` clears it.
   */
  bodyRefused!: boolean;
  /** Keeps a detail record (sampleRate). */
  sampled!: boolean;
  /** Records spans (traceSampleRate, or the caller's sampled flag). */
  traced!: boolean;
  /** Set when the request is traced or the caller sent a traceparent (its decision is passed on). */
  traceId: string | undefined;
  /** Our server span's id, the parent of outbound client spans. */
  spanId: string | undefined;
  parentSpanId: string | undefined;
  tracestate: string | undefined;
  /** The URL, read before Bun empties it, for a request ended after its answer went (a failure the error handler answers). */
  url: string | undefined;
  /** Response bytes, where known without reading the response (static routes). */
  bytes!: number;
  ended!: boolean;
  /** ms, set when the request ends. */
  duration!: number;
  /** A router hook has looked this request up (its later, async calls need to find it again). */
  watched!: boolean;
  /** The monitoring's own request (the in-process dashboard's): not counted, sampled or traced as the app's. */
  excluded!: boolean;
  /** Taken by server.upgrade(): a 101, counted when its handler returns (a router names the route by then). */
  upgraded!: boolean;
  /** Set by the explicit tracer on a request the preload traces. */
  tracerPart: TracerPart | undefined;

  /** A new request's state: every field as `reuse` sets it (one place for the starting values). */
  constructor(request: Request, start: number, method: string) {
    this.reuse(request, start, method, undefined);
  }

  /**
   * The preload's reusable slot takes `request`, with no allocation. Only what every request sets
   * is written here; the rest is cleared only after a request that failed (`error`) or that code
   * outside the recorder reached, which it can only do through stateOf (`watched`). The recorder's
   * own writes to the slot are `error` or fields it sets again before reading (sampled, ended,
   * duration); traces never run on the slot. A change to that rule must bump REGISTRY_VERSION:
   * another copy of bun-apm in the process reaches this slot through the shared `running`.
   */
  take(request: Request, start: number, method: string, serveRoute: string | undefined): void {
    if (this.watched || this.error !== undefined) return this.reuse(request, start, method, serveRoute);
    this.request = request;
    this.start = start;
    this.method = method;
    this.serveRoute = serveRoute;
    this.ended = false;
  }

  /** Starts the state over for `request`: every field. */
  reuse(request: Request, start: number, method: string, serveRoute: string | undefined): void {
    this.request = request;
    this.start = start;
    this.method = method;
    this.serveRoute = serveRoute;
    this.routerRoute = undefined;
    this.erroredRoute = undefined;
    this.error = undefined;
    this.bodyRefused = false;
    this.sampled = false;
    this.traced = false;
    this.traceId = undefined;
    this.spanId = undefined;
    this.parentSpanId = undefined;
    this.tracestate = undefined;
    this.url = undefined;
    this.bytes = 0;
    this.ended = false;
    this.duration = 0;
    this.watched = false;
    this.excluded = false;
    this.upgraded = false;
    this.tracerPart = undefined;
  }
}

/**
 * The request whose handler is running synchronously right now in the preload's lean path, and
 * its reusable state; `undefined` between requests. Shared by every copy of bun-apm in the process.
 */
type Running = {
  request: Request | undefined;
  state: RequestState | undefined;
  /** A router handler was wrapped: routers may call it after the handler went async, and must find the request's state then. */
  routers: boolean;
};
export const running: Running = slot('running', (): Running => ({ request: undefined, state: undefined, routers: false }));
/** States of their own, found without a mark on the Request: traced requests, async ones behind a router. */
export const asyncStates: WeakMap<Request, RequestState> = slot('asyncStates', () => new WeakMap<Request, RequestState>());

/**
 * Leaves a request out of the app's figures: the in-process dashboard's polling is the monitoring's
 * traffic, not the app's (the edge's dashboard is never counted either). Found synchronously, while
 * the preload's slot or a mark still says which state is this request's.
 */
export function excludeRequest(request: Request): void {
  excluded.add(request);
  const state = stateOf(request);
  if (state !== undefined) state.excluded = true;
}

/** Requests left out, for code that finds no state of theirs (the tracer without the preload or a monitor). */
const excluded = new WeakSet<Request>();

export function isExcluded(request: Request): boolean {
  return excluded.has(request);
}

export function stateOf(request: Request): RequestState | undefined {
  if (running.request === request) {
    const state = running.state!;
    state.watched = true;
    return state;
  }
  return (request as MarkedRequest)[REQUEST_STATE] ?? asyncStates.get(request);
}
