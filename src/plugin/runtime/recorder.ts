// The Bun-side recorder: turns each request into a rollup count, a sampled detail record and, when
// traced, a server span. Shared by the preload and the middleware: whichever sees a request first
// marks it, and the other then finds the mark and records nothing of its own.
import { clientGone } from '../../core/http/client-gone.ts';
import { wallClock } from './wall-clock.ts';
import { PRELOAD } from '../../core/config/preload-settings.ts';
import { RouteNamer } from '../../core/route-namer.ts';
import { RateSampler } from '../../core/sampler.ts';
import { formatTraceparent, formatTracestate, newSpanId, newTraceId, parseTraceparent, parseTracestate } from '../../core/trace-context.ts';
import { LIMITS, type DetailSample, type RollupCell, type SamplingPolicy, type Span, type SystemProfile } from '../../core/wire-format.ts';
import { bodyOverLimit } from './body-over-limit.ts';
import { HotRollups } from '../../core/hot-rollups.ts';
import { errorClassOf, type Log } from './log.ts';
import { keptPathOf, methodKey } from '../../core/request-key.ts';
import { pathFromRoute } from './route-path.ts';
import { asyncStates, REQUEST_STATE, RequestState, running, stateOf, type MarkedRequest } from './request-state.ts';
import type { ErrorAnswers } from './error-answers.ts';
import { failSafely, finishHandler, runHandler, type AnyHandler } from './run-handler.ts';
import { serverSpan } from './server-span.ts';
import { DetailRecords } from './detail-records.ts';
import { invalidAnswerStatus, sentStatus, upgradeAnswer } from './sent-status.ts';

/**
 * How detail and traces are sampled (`SamplingPolicy`: a fixed rate, when set, wins over the
 * per-second cap; defaults 10 samples, 1 trace and 10 callers' traces a second, route fairness on),
 * and the rest of what the recorder needs.
 */
export interface RecorderOptions extends SamplingPolicy {
  routeCap?: number;
  /** false: continues no caller's trace, only notes its id (the middleware's recorder: the tracer continues traces). */
  followParents?: boolean;
  /** `Server-Timing: total;dur=…` on responses with trace context (`traced`, default), on all, or `off`. */
  serverTiming?: 'traced' | 'all' | 'off';
  /** Where finished spans go (the exporters). */
  spanSink?: (span: Span) => void;
  /** Called once when the rollup cells fill a batch, so the batcher cuts early. */
  onFull?: () => void;
  /** Called once when detail records reach `samplesPerCut`, so the batcher encodes them (drainDetail). */
  onDetailFull?: () => void;
  /**
   * Detail records encoded together (default 250). Encoding runs on the app's thread: measured at
   * sampleRate 1, cuts of 1,000 stalled it a median 0.9 ms (p90 2.8–3.6 ms), cuts of 250 a median
   * 0.35 ms (p90 0.5–1.0 ms) for the same total work.
   */
  samplesPerCut?: number;
  log: Log;
  random?: () => number;
}

/** What an observer (the middleware's in-process store) is told about each finished request. */
export interface FinishedRequest {
  state: RequestState;
  route: string;
  path: string;
  status: number;
  bytes: number;
  /** ms since the epoch at the start. */
  timestamp: number;
}

/** Adaptive defaults: detail and traces per second per instance. */
export const SAMPLING_DEFAULTS = {
  samplesPerSecond: PRELOAD.samplesPerSecond.default,
  tracesPerSecond: PRELOAD.tracesPerSecond.default,
  parentTracesPerSecond: PRELOAD.parentTracesPerSecond.default,
} as const;

/** Off-edge trace ids remembered (oldest forgotten first): far more than are in flight at once. */
const OFF_EDGE_TRACES = 4096;

export class Recorder {
  readonly rollups = new HotRollups();
  readonly detail: DetailRecords;
  /** Requests in flight with a state of their own; the slot's one, if taken, is added by `inFlight`. */
  #ownInFlight = 0;
  /** Wall time − performance.now(), followed at each profile and drain so wall times follow clock changes (wall-clock.ts). */
  wallOffset = wallClock.offset;
  /** Responses whose headers could not be set (immutable headers). */
  headerFailures = 0;
  /** Where the preload's exporters ship spans (exporterTarget): the tracer leaves those of its own out. */
  exportTargets: ReadonlySet<string> = new Set();
  /** The service name the preload's exporters send under (the tracer says so when its own is not used). */
  exportService: string | undefined;
  /** Who else takes every span recorded (RequestTracers, for the traces they joined). */
  #spanObservers: ReadonlyArray<(span: Span) => void> = [];
  /** The explicit tracers' traces this recorder does not ship (keepOffEdge), newest last. */
  readonly #offEdge = new Set<string>();
  /** Adaptive detail (undefined when a fixed sampleRate is set). */
  readonly sampleBucket: RateSampler | undefined;
  /** Adaptive tracing (undefined when a fixed traceSampleRate is set). */
  readonly traceBucket: RateSampler | undefined;
  /** Callers' sampled traceparents followed; its `refused` counts those turned down. */
  readonly parentTraceBucket: RateSampler;

  readonly #options: RecorderOptions;
  readonly #routes: RouteNamer;
  readonly #random: () => number;
  readonly #serverTiming: 'traced' | 'all' | 'off';
  /** Failed requests waiting for their server's error handler, for the exit: what no answer ended by then is a 500 (settleFailures). */
  readonly #unanswered = new Set<RequestState>();
  /**
   * Each Response decorated, with what its app had set before the first time: its Server-Timing
   * (null: none), which ours is added to, and whether it had a traceparent (kept: a proxy passing
   * its upstream's on). A Response the app returns again and again is read once.
   */
  readonly #appHeaders = new WeakMap<Response, { timing: string | null; traceparent: boolean }>();
  #observers: Array<(finished: FinishedRequest) => void> = [];
  #fullSignalled = false;
  /** parentTraceBucket.refused at the last drain (the bucket's count only grows). */
  #parentRefusedDrained = 0;
  readonly #fair: boolean;
  /** Requests carry a mark (the middleware is loaded): the wrapper enters them with begin(). */
  #marking = false;
  /**
   * Requests server.upgrade() took while no state of theirs could be found (their handler had gone
   * async): respond() ends them as 101s. Only looked up once a server takes WebSockets (#upgrades).
   */
  readonly #upgradedLater = new WeakSet<Request>();
  /** Upgrades waiting for their route, till their handler settles or the callbacks queued with them have run. */
  readonly #upgrading = new Set<Request>();
  #upgrades = false;
  /** The one state the lean path reuses, for the request whose handler runs synchronously right now. */
  readonly #slot = new RequestState(undefined as unknown as Request, 0, 'GET');
  /**
   * The preload's wrapper of one handler (`template`: its Bun.serve route). Most requests end in
   * it: on the reusable slot, a synchronous Response is counted right here. Anything else goes the
   * general way (runHandler, finishHandler). The app sees what it saw before: same arguments, same
   * `this`, same return value, the same exception thrown or rejection passed on.
   */
  readonly wrap: (handler: AnyHandler, template: string | undefined, answers?: ErrorAnswers) => AnyHandler;

  constructor(options: RecorderOptions) {
    this.#options = options;
    this.#routes = new RouteNamer(options.routeCap ?? PRELOAD.routeCap.default);
    this.#random = options.random ?? Math.random;
    this.sampleBucket = options.sampleRate === undefined ? new RateSampler(options.samplesPerSecond ?? SAMPLING_DEFAULTS.samplesPerSecond) : undefined;
    this.traceBucket = options.traceSampleRate === undefined ? new RateSampler(options.tracesPerSecond ?? SAMPLING_DEFAULTS.tracesPerSecond) : undefined;
    this.parentTraceBucket = new RateSampler(options.parentTracesPerSecond ?? SAMPLING_DEFAULTS.parentTracesPerSecond);
    this.#fair = options.routeFairness ?? PRELOAD.routeFairness.default;
    this.#serverTiming = options.serverTiming ?? PRELOAD.serverTiming.default;
    this.detail = new DetailRecords(Math.min(options.samplesPerCut ?? 250, LIMITS.samples), options.onDetailFull);
    this.wrap = this.#makeWrapper();
  }

  /** The latest system profile: detail records read memory and CPU from here, never from the OS. */
  get latestProfile(): SystemProfile | undefined {
    return this.detail.latestProfile;
  }

  set latestProfile(profile: SystemProfile | undefined) {
    this.detail.latestProfile = profile;
  }

  /**
   * Requests begun and not ended: those with a state of their own, and the slot's while its handler
   * runs. The slot is not counted as it is taken (a profile is taken between requests, never while
   * a handler runs synchronously), which keeps two writes off every request.
   */
  get inFlight(): number {
    return this.#ownInFlight + (running.request !== undefined && running.state === this.#slot ? 1 : 0);
  }

  get options(): Readonly<RecorderOptions> {
    return this.#options;
  }

  /**
   * Starts recording a request, or returns undefined when it is already being recorded (the
   * preload and the middleware both active) so that the caller just runs the handler. Marks the
   * request, so the other finds it: the middleware's entry, and the preload's once the middleware is loaded.
   */
  begin(request: Request, serveRoute?: string): RequestState | undefined {
    const marked = request as MarkedRequest;
    // Any state counts, not only a mark: a request the preload took before the middleware asked for marks.
    if (stateOf(request) !== undefined) return undefined;
    const start = performance.now();
    const state = new RequestState(request, start, methodKey(request.method));
    marked[REQUEST_STATE] = state;
    this.#open(state, serveRoute, request.headers.get('traceparent'));
    return state;
  }

  /**
   * Made once per recorder, in the constructor: the recorder and its parts are then variables of a
   * scope created once in the process, which JSC's optimising compilers take as constants, so that
   * the wrapper reads them with no type or shape check (with `wrap`'s own scope, made once per
   * handler, they were loads checked on every request). A process holds one recorder (the
   * middleware shares the preload's); a second would only bring the checked loads back.
   */
  #makeWrapper(): (handler: AnyHandler, template: string | undefined, answers?: ErrorAnswers) => AnyHandler {
    const recorder = this;
    const slot = this.#slot;
    const rollups = this.rollups;
    const routes = this.#routes;
    const sampleBucket = this.sampleBucket;
    const fair = this.#fair;
    const timingAll = this.#serverTiming === 'all';
    // `answers`: the failures the handler's server's error handler answers (none without one).
    return (handler, template, answers) =>
      // Bun calls handlers with (request, server); two fixed parameters avoid a rest array per request.
      function bunApmHandler(this: unknown, request: Request, server: unknown): unknown {
        // `server.fetch(request)` from the app's own code (a test harness, an internal re-dispatch)
        // is no HTTP request, and Bun passes no server then: not counted (a review).
        if (server === undefined) return handler.call(this, request, server);
        // The entry, in the wrapper itself: the clock and the method stay in registers for the lean
        // end instead of a round trip through the slot (bench/HISTORY.md, "The slot's takeover").
        let start = 0;
        let method = '';
        let state: RequestState | undefined;
        try {
          if (recorder.#marking) state = recorder.begin(request, template);
          else {
            start = performance.now();
            const traceparent = request.headers.get('traceparent');
            method = methodKey(request.method);
            const due = traceparent === null && recorder.#traceDue(start);
            // With a traceparent no draw was made: #open draws if it does not parse (W3C: start a new trace).
            state = traceparent === null && !due && running.request === undefined ? recorder.#takeSlot(request, start, method, template) : recorder.#own(request, start, method, template, traceparent, traceparent === null ? due : undefined);
          }
        } catch {
          state = undefined; // never let monitoring stand between the app and its request
        }
        if (state !== slot) return state === undefined ? handler.call(this, request, server) : runHandler(recorder, state, handler, this, request, server, answers);
        let result: unknown;
        try {
          result = handler.call(this, request, server);
        } catch (error) {
          failSafely(recorder, slot, error, answers);
          throw error;
        }
        if (!(result instanceof Response) || slot.ended || slot.upgraded || timingAll) return finishHandler(recorder, slot, result, answers, server);
        // #end's work, less what cannot happen on the slot: no trace, and no observer (the middleware,
        // which observes, marks requests from then on; one already on the slot it never saw). Spelled
        // out rather than called: built to call #end, or a helper holding this part of it, bun-apm's JIT code ran
        // 107–123 instructions a request more (realistic handler; bench/HISTORY.md, "The lean path in one function").
        const now = recorder.#stop(slot);
        try {
          const status = sentStatus(result.status);
          const known = slot.routerRoute ?? slot.erroredRoute ?? template;
          const route = known !== undefined ? routes.ofTemplate(known) : routes.ofUrl(request.url, status);
          const timestamp = recorder.wallOffset + start;
          const entry = rollups.record(timestamp, method, route, status, now - start, slot.bytes, false);
          if (sampleBucket !== undefined && !sampleBucket.refuses(now)) slot.sampled = sampleBucket.take(now, fair ? entry : undefined);
          else if (sampleBucket !== undefined) sampleBucket.refused++;
          if (slot.sampled) recorder.#sample(slot, timestamp, pathOfState(slot), route, status, slot.bytes);
          if (rollups.size >= LIMITS.rollups) recorder.#signalFull();
        } catch (error) {
          recorder.#recordFailed(error);
        }
        slot.request = undefined as unknown as Request;
        return result;
      };
  }

  /**
   * A request neither traced nor continuing a trace, entered while no other handler runs, gets the
   * one reusable state (no allocation, no mark on the Request) while its handler runs synchronously;
   * it must then end with respond() or fail() (or the wrapper's own end), or be detach()ed when the
   * handler returns a Promise.
   */
  #takeSlot(request: Request, start: number, method: string, serveRoute: string | undefined): RequestState {
    // Drawn first: should a `random` option throw, the slot is not left taken.
    const sampled = this.sampleBucket === undefined && this.#random() < this.#options.sampleRate!;
    const state = this.#slot;
    state.take(request, start, method, serveRoute);
    state.sampled = sampled;
    running.request = request;
    running.state = state;
    return state;
  }

  /**
   * Traced, continuing a caller's trace, or entered while another handler runs (a handler that
   * calls another): a state of its own, which outlives the call (async context, outbound fetch).
   */
  #own(request: Request, start: number, method: string, serveRoute: string | undefined, traceparent: string | null, due: boolean | undefined): RequestState {
    const state = new RequestState(request, start, method);
    asyncStates.set(request, state);
    this.#open(state, serveRoute, traceparent, due);
    return state;
  }

  /** The state to keep for a request whose handler returned a Promise: the slot is copied out and freed. */
  detach(state: RequestState): RequestState {
    if (state !== this.#slot) return state;
    running.request = undefined;
    // Ended while its handler ran (upgraded to a WebSocket before the handler's first await): nothing
    // is in flight, and what the handler resolves to is answered as ended.
    if (state.ended) return endedState(state);
    this.#ownInFlight++; // still in flight, now on a state of its own
    const own = new RequestState(state.request, state.start, state.method);
    own.serveRoute = state.serveRoute;
    own.routerRoute = state.routerRoute;
    own.erroredRoute = state.erroredRoute;
    own.error = state.error;
    own.sampled = state.sampled;
    own.bytes = state.bytes;
    own.excluded = state.excluded;
    own.upgraded = state.upgraded;
    // A router hook that saw the request will look it up again when its async part settles, and
    // some routers (bun-router) only call the route's handler after an await.
    if (state.watched || running.routers) asyncStates.set(state.request, own);
    state.request = undefined as unknown as Request;
    return own;
  }

  /** From now on every request carries its state on the Request (the explicit middleware is loaded and looks for it). */
  markRequests(): void {
    this.#marking = true;
  }

  #traceDue(now: number): boolean {
    const bucket = this.traceBucket;
    if (bucket !== undefined) return !bucket.refuses(now) && bucket.take(now);
    const rate = this.#options.traceSampleRate!;
    return rate > 0 && this.#random() < rate;
  }

  /**
   * A trace the explicit tracer starts (or continues from a caller's legacy headers) on a request the
   * preload records but does not trace, taken as one the preload drew when its adaptive trace budget
   * has room: one server span, the detail record linked to it, outbound client spans, all within
   * BUN_APM_TRACES_PER_SECOND. A tracer's default sampleRate of 1 had shipped a span per request to
   * the edge past that budget (a review). With a fixed BUN_APM_TRACE_SAMPLE_RATE there is no budget:
   * the tracer's share adds to the preload's, as set. False, nothing changed, when refused.
   */
  adoptTrace(state: RequestState, trace: { traceId: string; spanId: string; parentSpanId?: string | undefined; tracestate?: string | undefined }): boolean {
    if (state === this.#slot || state.ended || state.excluded || state.traceId !== undefined) return false;
    const bucket = this.traceBucket;
    const now = performance.now();
    if (bucket !== undefined && (bucket.refuses(now) || !bucket.take(now))) return false;
    state.traced = true;
    state.traceId = trace.traceId;
    state.spanId = trace.spanId;
    state.parentSpanId = trace.parentSpanId;
    state.tracestate = trace.tracestate;
    return true;
  }

  /**
   * A trace of an explicit tracer's that the preload does not ship (its budget refused it, or the
   * tracer ships elsewhere): none of its spans go to the preload's exporters, wherever in the process
   * they are recorded. A server of this process that its outbound fetch reaches continues it as the
   * tracer's, not as a caller's trace to ship: those had reached the edge as orphans, past the budget (a review).
   */
  keepOffEdge(traceId: string): void {
    this.#offEdge.delete(traceId);
    this.#offEdge.add(traceId);
    if (this.#offEdge.size > OFF_EDGE_TRACES) this.#offEdge.delete(this.#offEdge.values().next().value!);
  }

  isOffEdge(traceId: string): boolean {
    return this.#offEdge.size > 0 && this.#offEdge.has(traceId);
  }

  /** `due`: the trace decision when already taken (no traceparent); otherwise it is taken here. */
  #open(state: RequestState, serveRoute: string | undefined, traceparent: string | null, due?: boolean): void {
    state.serveRoute = serveRoute;
    this.#ownInFlight++;
    if (this.sampleBucket === undefined) state.sampled = this.#random() < this.#options.sampleRate!;
    const incoming = parseTraceparent(traceparent);
    if (incoming !== null) {
      state.traceId = incoming.traceId;
      state.parentSpanId = incoming.parentId;
      // Not following: detail records still name the caller's trace; no span, so no traceparent back.
      if (this.#options.followParents === false) return;
      // The caller's decision is followed within its own cap; refused, the trace goes on unsampled.
      // A tracer's trace of this process's own that the preload does not ship costs it nothing: followed.
      state.traced = incoming.sampled && (this.isOffEdge(incoming.traceId) || this.parentTraceBucket.take(state.start));
      if (incoming.sampled && !state.traced) {
        this.#options.log.warnOnce('parent-refused', `callers' sampled traces past ${this.parentTraceBucket.perSecond}/s are passed on unsampled (BUN_APM_PARENT_TRACES_PER_SECOND)`);
      }
      state.spanId = newSpanId();
      const tracestate = state.request.headers.get('tracestate');
      if (tracestate) state.tracestate = formatTracestate(parseTracestate(tracestate)) || undefined;
    } else if (due ?? this.#traceDue(state.start)) {
      state.traced = true;
      state.traceId = newTraceId();
      state.spanId = newSpanId();
    }
  }

  /**
   * Ends a request with what its handler returned; adds Server-Timing and traceparent. Returns
   * `result` unchanged. `server`: the Bun server that called the handler, when known; `settled`:
   * the handler's Promise settled with `result`.
   */
  respond<T>(state: RequestState, result: T, server?: unknown, settled = false): T {
    if (state.ended) return result;
    if (state.upgraded || (this.#upgrades && this.#upgradedLater.has(state.request))) {
      this.#end(state, 101, 0, false); // Elysia and Hono answer an upgrade with a Response Bun ignores
      return result;
    }
    // The client left while the handler awaited: Bun sends nothing, so a 499 as in fail() (it had
    // been counted as the answer no one got, a review). Only after a wait: no client is seen leaving
    // during synchronous code, and the signal is an object a plain request never makes.
    // An upgrade the patched server.upgrade did not see aborts the signal too (Bun): a 101, not a 499.
    if (settled && clientGone(state.request) && !upgradeAnswer(state.request, result)) {
      this.#end(state, 499, 0, false);
      return result;
    }
    if (result instanceof Response) {
      // The response's headers are not read here: materialising them costs more than all the rest of a request's recording.
      this.#end(state, result.status, state.bytes, false);
      if ((state.traceId !== undefined || this.#serverTiming === 'all') && !state.excluded) this.decorate(state, result);
    } else if (upgradeAnswer(state.request, result)) {
      this.#end(state, 101, 0, false); // server.upgrade() took it: Bun wants no Response
    } else {
      // The app's mistake (Bun logs it), counted as an error, under the status Bun sends for it.
      state.error ??= 'InvalidResponse';
      this.#end(state, invalidAnswerStatus(server), 0, true);
    }
    return result;
  }

  /** A Bun.serve route declared for some methods only: its other methods, fallen through to fetch, are named by it. */
  declareTemplate(template: string): void {
    this.#routes.declare(template);
  }

  /** A server with a `websocket` handler was started: respond() looks for upgrades it could not end. */
  takesUpgrades(): void {
    this.#upgrades = true;
  }

  /**
   * Ends a request server.upgrade() took: a 101, whatever its handler returns. With its route not
   * known yet, it ends when its handler returns, or throws, or at the latest once the callbacks
   * queued now have run: a router (Hono's upgradeWebSocket, Elysia's ws) names the route as the
   * handler settles (ended at once, it went under its raw path, one route per room), and a handler
   * that goes on awaiting after the upgrade must not hold the 101 back (nor lose it at exit).
   */
  upgraded(request: Request): void {
    try {
      const state = stateOf(request);
      if (state === undefined) this.#upgradedLater.add(request);
      else if (state.ended) return;
      else if ((state.routerRoute ?? state.serveRoute) !== undefined) this.#end(state, 101, 0, false);
      else {
        state.upgraded = true;
        this.#upgrading.add(request);
        setImmediate(() => this.#endUpgrade(request));
      }
    } catch (error) {
      this.#recordFailed(error);
    }
  }

  /**
   * Ends a request whose handler threw or rejected: a 500 with the error's class, or, when its
   * server has an error handler (`answers`), whatever status that answers (an app that maps a
   * NotFound to a 404 had counted it a 500). Bun calls the handler before the next macrotask, so a
   * request it has not taken by then is Bun's 500.
   */
  fail(state: RequestState, error: unknown, answers?: ErrorAnswers): void {
    if (state.ended) return;
    if (state.upgraded) {
      state.error = errorClassOf(error);
      return this.#end(state, 101, 0, false); // the socket is open: the client got its 101
    }
    // The client went away first (an upload cut off, a proxied fetch on req.signal): Bun sends
    // nothing and calls no error handler. A 499, as for node:http, and no error of the app's: it had
    // been counted a 500 never sent, and raised the error rate whenever clients left (a review).
    if (clientGone(state.request)) return this.#end(state, 499, 0, false);
    if (bodyOverLimit(error)) return this.#end(state, 413, 0, false);
    state.error = errorClassOf(error);
    if (answers !== undefined) {
      // Ended later: the state must outlive the slot, and its URL is read now (Bun empties it once it has answered).
      const failed = this.detach(state);
      failed.url = failed.request.url;
      answers.add(error, failed);
      this.#unanswered.add(failed);
      setImmediate(() => this.#endFailed(failed, answers, error));
      return;
    }
    this.#end(state, 500, 0, true);
  }

  /** Ends a request no handler wrapper sees (a node:http server's) with the status sent, named by its router's template when known. */
  ended(state: RequestState, status: number, route?: string): void {
    if (state.ended) return;
    state.routerRoute ??= route;
    this.#end(state, status, 0, false);
  }

  /**
   * At exit: a failed request no answer has ended (an error handler that called process.exit) is a
   * 500; an upgrade not ended yet (the signal came before the callbacks queued with it) its 101.
   */
  settleFailures(): void {
    for (const state of this.#unanswered) this.#endFailed(state);
    for (const request of this.#upgrading) this.#endUpgrade(request);
  }

  #endUpgrade(request: Request): void {
    this.#upgrading.delete(request);
    // Looked up again: by then the slot may serve another request, and a handler gone async has a state of its own.
    const state = stateOf(request);
    if (state?.upgraded && !state.ended) this.#end(state, 101, 0, false);
  }

  /** What the app's error handler answered for `state`'s error (anything but a Response: Bun's 500); never throws. */
  answerError(state: RequestState, answer: unknown): void {
    this.#unanswered.delete(state);
    try {
      if (!state.ended) this.#end(state, answer instanceof Response ? answer.status : 500, 0, true);
      if (answer instanceof Response) this.decorate(state, answer);
    } catch (error) {
      this.#recordFailed(error);
    }
  }

  /**
   * A failed request no error handler took by the next macrotask (one it took has left the queue),
   * or, with no `answers` (the exit), any not yet answered: Bun's 500.
   */
  #endFailed(state: RequestState, answers?: ErrorAnswers, error?: unknown): void {
    if (state.ended || (answers !== undefined && !answers.remove(error, state))) return;
    this.#unanswered.delete(state);
    this.#end(state, 500, 0, true);
  }

  /** Adds Server-Timing (total) and traceparent to a response, unless serverTiming is `off` (then neither); never throws. */
  decorate(state: RequestState, response: Response): void {
    if (this.#serverTiming === 'off') return;
    const timing = this.#serverTiming === 'all' || (this.#serverTiming === 'traced' && state.traceId !== undefined);
    if (!timing && state.traceId === undefined) return;
    try {
      const headers = response.headers;
      let own = this.#appHeaders.get(response);
      if (own === undefined) this.#appHeaders.set(response, (own = { timing: headers.get('server-timing'), traceparent: headers.has('traceparent') }));
      if (timing) {
        // Added to what the app set, once: a shared Response (a 204) would otherwise gain an entry a request, without end.
        const total = `total;dur=${Math.round(state.duration * 100) / 100}`;
        headers.set('server-timing', own.timing === null ? total : `${own.timing}, ${total}`);
      }
      if (state.traceId !== undefined && state.spanId !== undefined && !own.traceparent) {
        headers.set('traceparent', formatTraceparent(state.traceId, state.spanId, state.traced));
      }
    } catch {
      this.headerFailures++; // immutable headers (a Response.error(), some proxied responses): leave them be
    }
  }

  /** Adds a finished span (outbound fetch, the middleware's child spans) to what gets exported; of a trace kept off the edge, only the tracers observing get it. */
  recordSpan(span: Span): void {
    try {
      if (!this.isOffEdge(span.traceId)) this.#options.spanSink?.(span);
    } catch (error) {
      this.#options.log.warnOnce('span-sink', `a span exporter threw (${errorClassOf(error)}); spans may be missing`);
    }
    for (const observer of this.#spanObservers) {
      try {
        observer(span);
      } catch (error) {
        this.#options.log.warnOnce('span-observer', `the tracer could not take a span (${errorClassOf(error)}); spans may be missing`);
      }
    }
  }

  /**
   * Lets a RequestTracer see every span recorded (it keeps those of the traces it joined, for its own
   * exporters); returns the function that stops it.
   */
  observeSpans(observer: (span: Span) => void): () => void {
    this.#spanObservers = [...this.#spanObservers, observer];
    return () => {
      this.#spanObservers = this.#spanObservers.filter((other) => other !== observer);
    };
  }

  /** Lets the middleware see each finished request; returns the function that stops it. */
  observe(observer: (finished: FinishedRequest) => void): () => void {
    this.#marking = true; // an observer (the middleware) finds its requests by their mark
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /** Takes what was recorded since the last drain (the batcher calls this), with the callers' sampled traces refused since. */
  drain(): { rollups: RollupCell[]; samples: DetailSample[]; droppedSamples: number; parentTracesRefused: number } {
    this.#fullSignalled = false;
    // The wall clock followed here too, not only at profiles: with profiling off, the times of a
    // process running for weeks would stay on its start's clock (the monotonic clock stops while a VM is paused).
    this.wallOffset = wallClock.follow();
    const parentTracesRefused = this.parentTraceBucket.refused - this.#parentRefusedDrained;
    this.#parentRefusedDrained = this.parentTraceBucket.refused;
    const rollups = this.rollups.drain();
    this.#routes.used(rollups.map((cell) => cell.route), performance.now());
    return { rollups, ...this.drainDetail(), parentTracesRefused };
  }

  /** Takes the detail records only, leaving the rollup cells to fill until the flush interval. */
  drainDetail(): { samples: DetailSample[]; droppedSamples: number } {
    return this.detail.drain();
  }

  #end(state: RequestState, answered: number, bytes: number, thrown: boolean): void {
    const now = this.#stop(state);
    // A router that caught Bun's body-limit refusal answered its own 500; the client got Bun's 413.
    const status = state.bodyRefused ? 413 : sentStatus(answered);
    // Only ever set on a request whose handler went async (the in-process dashboard's are), so the lean path has no check of its own.
    if (state.excluded) return this.#leaveOut(state);
    try {
      const known = state.routerRoute ?? state.erroredRoute ?? state.serveRoute;
      const observed = this.#observers.length > 0;
      // The URL is read only when the route must be found from the path; with a template, the path waits until something needs it.
      const route = known !== undefined ? this.#routes.ofTemplate(known) : this.#routes.ofUrl(state.url ?? state.request.url, status);
      const timestamp = this.wallOffset + state.start;
      const entry = this.rollups.record(timestamp, state.method, route, status, state.duration, bytes, thrown);
      const bucket = this.sampleBucket;
      if (bucket !== undefined && !bucket.refuses(now)) state.sampled = bucket.take(now, this.#fair ? entry : undefined);
      else if (bucket !== undefined) bucket.refused++;
      const path = state.sampled || state.traced || observed ? pathOfState(state) : '';
      if (state.sampled) this.#sample(state, timestamp, path, route, status, bytes);
      if (state.traced) this.#recordServerSpan(state, serverSpan(state, timestamp, path, route, status));
      if (this.rollups.size >= LIMITS.rollups) this.#signalFull();
      if (observed) {
        const finished: FinishedRequest = { state, route, path, status, bytes, timestamp };
        for (const observer of this.#observers) observer(finished);
      }
    } catch (error) {
      this.#recordFailed(error);
    }
    this.#release(state);
  }

  #release(state: RequestState): void {
    if (state === this.#slot) state.request = undefined as unknown as Request;
  }

  /** An excluded request: nothing recorded, and a trace drawn for it (not a caller's) goes back to the bucket. */
  #leaveOut(state: RequestState): void {
    if (state.traced && state.parentSpanId === undefined) this.traceBucket?.giveBack();
    this.#release(state);
  }

  /** The explicit tracer, when it runs under this trace, gets its copy too (its exporters, its recent spans). */
  #recordServerSpan(state: RequestState, span: Span): void {
    this.recordSpan(span);
    try {
      state.tracerPart?.onSpan(span);
    } catch (error) {
      this.#options.log.warnOnce('tracer-span', `the tracer could not take a server span (${errorClassOf(error)}); spans may be missing`);
    }
  }

  /** Marks a request ended and frees the slot (first, so nothing after can leave it taken); returns the clock at the end. */
  #stop(state: RequestState): number {
    if (state === this.#slot) running.request = undefined;
    else this.#ownInFlight--;
    state.ended = true;
    const now = performance.now();
    state.duration = now - state.start;
    return now;
  }

  #recordFailed(error: unknown): void {
    try {
      this.#options.log.warnOnce('record', `recording a request failed (${errorClassOf(error)}: ${String((error as Error)?.message)}); the app is unaffected`);
    } catch {
      // an error whose message cannot be read, or a log that throws: the response still goes out
    }
  }

  #sample(state: RequestState, timestamp: number, path: string, route: string, status: number, bytes: number): void {
    this.detail.add(state, timestamp, path, route, status, bytes, state.traced && state.traceId !== undefined && !this.isOffEdge(state.traceId));
  }

  #signalFull(): void {
    if (this.#fullSignalled) return;
    this.#fullSignalled = true;
    this.#options.onFull?.();
  }
}

/**
 * A request's path: from its Bun route template and parameters when they say it exactly, else from
 * its URL, copied when the URL holds much more (observers may keep it: the monitor's alerting window).
 */
function pathOfState(state: RequestState): string {
  const request = state.request as Request & { params?: Record<string, string> };
  const bunRoute = state.routerRoute === undefined && state.erroredRoute === undefined ? state.serveRoute : undefined;
  return (bunRoute !== undefined ? pathFromRoute(bunRoute, request.params) : undefined) ?? keptPathOf(state.url ?? request.url);
}

/** A state standing for a request that has ended, for code that still holds on to it. */
function endedState(state: RequestState): RequestState {
  const done = new RequestState(state.request, state.start, state.method);
  done.ended = true;
  return done;
}
