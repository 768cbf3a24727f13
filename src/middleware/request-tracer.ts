// The spec's RequestTracer: a server span per traced request (context from the preload, W3C
// traceparent, or x-trace-id/x-span-id), child spans from the API, exporters that batch off the
// request path, and a timeout that closes spans nobody finished.
import { formatTraceparent, newSpanId } from '../core/trace-context.ts';
import { LIMITS, type Span, type SpanStatus, type TagValue } from '../core/wire-format.ts';
import type { SpanExporter } from '../plugin/runtime/exporters/index.ts';
import { createLog, errorClassOf, type Log } from '../plugin/runtime/log.ts';
import { processRecorder } from '../plugin/runtime/process-recorder.ts';
import { pathOf } from '../core/request-key.ts';
import { normalisePath } from '../core/route-normaliser.ts';
import { isExcluded, RequestState, stateOf } from '../plugin/runtime/request-state.ts';
import { traceScope } from '../plugin/runtime/trace-scope.ts';
import { sleep } from '../plugin/runtime/send-with-retry.ts';
import { captureBody, headerTags, queryTags } from './tracer/capture.ts';
import { shownPath, shownText } from '../core/redaction/redaction.ts';
import { closeWithin, tracerShipping } from './tracer/tracer-shipping.ts';
import { incomingContext, type IncomingContext } from './tracer/incoming-context.ts';
import { SpanRegistry } from './tracer/span-registry.ts';
import { putTag, toFields, toShownTagValue } from './tracer/tag-value.ts';
import { resolveTracingOptions, type ResolvedTracingOptions, type TracingOptions } from './tracer/tracer-options.ts';
import type { EnhancedRequest, NextFunction, TraceSpan } from './types.ts';
import { forgetPart, rememberPart } from './latest-parts.ts';
import { answerStatus, endedStatus } from './answer-status.ts';
import { checkOptionShapes, keysOf, warnUnknownOptions } from './option-checks.ts';
import { callersMistake } from './callers-mistake.ts';
import { EXIT_BUDGET_MS } from '../plugin/runtime/exit-budget.ts';
import { installTracerExit } from './tracer/tracer-exit.ts';
import { wallNow } from './tracer/wall-clock.ts';
import { templateFromParams } from '../plugin/runtime/route-path.ts';
import { clientGone } from '../core/http/client-gone.ts';

export type { TracingOptions } from './tracer/tracer-options.ts';

/** The edge reads a log's level as 1..16 characters. */
const MAX_LEVEL_LENGTH = 16;
/**
 * A span's logs, as JSON, at most this long: with its tags and fields at their limits a span then
 * stays inside LIMITS.spanLength, which the edge checks.
 */
const SPAN_LOGS_LENGTH = 65_536;

function spanStatus(status: string | undefined, error: string | Error | undefined): { status: SpanStatus; tag?: string } {
  if (status === 'error') return { status: 'error' };
  if (status === 'ok' || status === 'success') return { status: error ? 'error' : 'ok' };
  if (status === undefined || status === 'unset') return { status: error ? 'error' : status === 'unset' ? 'unset' : 'ok' };
  return { status: error ? 'error' : 'unset', tag: status };
}

/**
 * How long close() waits for the exporters, ms: the preload's budget at exit. Past it, what they still
 * hold is given up and counted, so that code after `await tracer.close()` runs with a collector down.
 */
export const CLOSE_TIMEOUT_MS = EXIT_BUDGET_MS;
const TRACER_OPTIONS = keysOf<TracingOptions>()([
  'enabled', 'sampleRate', 'includeHeaders', 'includeQueryParams', 'includeRequestBody', 'includeResponseBody', 'maxBodyBytes', 'exporters',
  'propagation', 'serviceName', 'spanTimeout', 'maxRecentSpans', 'maxActiveSpans', 'log', 'random',
]);
/** Traces whose server span the preload records and this tracer joined, remembered at most (oldest forgotten first). */
const JOINED_TRACES = 4096;
/** How long an answer waits for the request body's capture (a body already received takes well under 1 ms). */
const BODY_WAIT_MS = 10;
const TRACER_SHAPES = {
  propagation: keysOf<NonNullable<TracingOptions['propagation']>>()(['enabled', 'headers']),
  exporters: 'list',
  log: 'function',
  random: 'function',
} as const;

/**
 * @example
 * const tracer = new RequestTracer({ sampleRate: 0.1, exporters: [{ type: 'console' }] });
 * router.use((req, next) => tracer.handle(req, next));
 * const child = tracer.createChildSpan(req.spanId!, 'database-query');
 * if (child) tracer.finish(child, 'ok');
 */
export class RequestTracer {
  readonly #options: ResolvedTracingOptions;
  /** How long a body is read: within the span's time, or a read past spanTimeout would end it as timed out. */
  readonly #captureMs: number;
  readonly #log: Log;
  readonly #registry: SpanRegistry;
  readonly #exporter: SpanExporter | undefined;
  /** For a trace the preload records (and ships): the exporters less those it ships to already (tracer-shipping.ts). */
  readonly #ownExporter: SpanExporter | undefined;
  /** For a trace of the tracer's own, which the preload does not ship: the exporters less `edge` (tracer-shipping.ts). */
  readonly #unshipped: SpanExporter | undefined;
  /** Its own traces go to the edge (no exporters, or an `edge` one): the preload takes them within its budget. */
  readonly #toEdge: boolean;
  /** Spans under a trace the preload records: the preload ships them as well as #ownExporter. */
  readonly #underPreload = new WeakSet<Span>();
  /** Server spans the preload records, by id → trace id, while their request runs: children may hang off them. */
  readonly #external = new Map<string, string>();
  readonly #pending = new Set<Promise<unknown>>();
  /**
   * Traces the preload records that this tracer joined, by trace id → the preload's server span id:
   * the other spans the preload records in them (outbound fetch's client spans) reach #ownExporter
   * too, or a downstream service's server span would name a parent missing from this backend.
   */
  readonly #joined = new Map<string, string>();
  /**
   * The preload's server spans this tracer copies itself (#takePreloadSpan), while their request runs:
   * not taken again as a span of a joined trace (a handler calling its own server had sent its
   * server span twice: a review).
   */
  readonly #copying = new Set<string>();
  /** Leaves the preload's span stream, and its shutdown's list of exporters. */
  readonly #unhook: () => void;
  /** The JSON length of each open span's logs so far. */
  readonly #logsLength = new WeakMap<Span, number>();

  constructor(options: TracingOptions = {}) {
    try {
      // Bound: `router.use(x.handle)` passes the method alone, without its object (a review).
      this.handle = this.handle.bind(this);
      checkOptionShapes('requestTracer', options, TRACER_SHAPES);
      this.#options = resolveTracingOptions(options);
      this.#captureMs = Math.min(1000, this.#options.spanTimeout / 2);
      this.#log = createLog(false, options.log);
      warnUnknownOptions('requestTracer', options, TRACER_OPTIONS, (line) => this.#log.warnOnce(line, line), TRACER_SHAPES);
      const shipping = tracerShipping(options, this.#options.serviceName, this.#log, processRecorder(), (span) => this.#takeJoinedSpan(span));
      // Without the preload, the end of the process is the tracers' own to see to.
      installTracerExit(this.#log);
      this.#exporter = shipping.all;
      this.#ownExporter = shipping.own;
      this.#unshipped = shipping.unshipped;
      this.#toEdge = shipping.toEdge;
      this.#unhook = shipping.unhook;
      this.#registry = new SpanRegistry(this.#options.spanTimeout, this.#options.maxActiveSpans, this.#options.maxRecentSpans);
      rememberPart('tracer', this);
    } catch (error) {
      throw callersMistake(error, new.target);
    }
  }

  /** Middleware: sets req.traceId and req.spanId, records the server span, passes the context on in `traceparent`. */
  async handle(req: EnhancedRequest, next: NextFunction): Promise<Response> {
    if (!this.#options.enabled) return next();
    let context: IncomingContext | undefined;
    try {
      context = incomingContext(req, this.#options);
    } catch {
      context = undefined;
    }
    if (context === undefined) return next();
    if (context.sampled && !context.fromPreload) context = this.#adopted(req, context);
    req.traceId = context.traceId;
    req.spanId = context.spanId;
    if (!context.sampled || context.fromPreload) return this.#passThrough(req, next, context);

    const opened = this.#openServerSpan(req, context);
    const requestBody = opened ? this.#bodyOf(req, this.#options.includeRequestBody) : undefined;
    let response: Response;
    try {
      response = await this.#withOutboundContext(req, context, next);
    } catch (error) {
      const endedAt = performance.now();
      // As for an answer: Bun drops the unread body once the error becomes its 500, and the body of a
      // failing request is the one an engineer wants (it was missing exactly then: a review).
      if (requestBody) await Promise.race([requestBody, sleep(BODY_WAIT_MS)]);
      // A client gone first: a 499 and no error, as the preload's span and the monitor end it (a review).
      if (clientGone(req)) this.#finishServer(req, context.spanId, 499, undefined, requestBody, undefined, endedAt);
      // A driver's message may quote its connection URL (`postgres://app:pw@db`) or a request's key.
      else this.#finishServer(req, context.spanId, 500, shownText(`${errorClassOf(error)}: ${(error as Error)?.message ?? ''}`), requestBody, undefined, endedAt);
      throw error;
    }
    const endedAt = performance.now();
    if (isExcluded(req)) {
      this.#registry.discard(context.spanId); // the in-process dashboard's own request, not the app's
      return response;
    }
    // Before the answer goes (once answered, Bun drops a body the handler did not read), but for a
    // moment only: a body still arriving must not hold the answer back.
    if (requestBody) await Promise.race([requestBody, sleep(BODY_WAIT_MS)]);
    if (!(response instanceof Response)) {
      // Not a Response: a WebSocket upgrade (101), or the app's mistake, which the span names instead of the tracer throwing.
      const status = answerStatus(req, response);
      this.#finishServer(req, context.spanId, status, status === 101 ? undefined : `no Response: the handler returned ${response === null ? 'null' : typeof response}`, requestBody, undefined, endedAt);
      return response;
    }
    try {
      if (opened) this.#responseTags(response, this.#registry.get(context.spanId)?.span.tags ?? {});
      this.#setTraceparent(response, context);
    } catch {
      // immutable headers: the trace is still recorded, just not passed on
    }
    const responseBody = opened ? this.#bodyOf(response, this.#options.includeResponseBody) : undefined;
    this.#finishServer(req, context.spanId, endedStatus(req, response), undefined, requestBody, responseBody, endedAt);
    return response;
  }

  /** Opens a span under an open span (or under the preload's server span of a request in flight); null when there is none. */
  createChildSpan(parentSpanId: string, operationName: string): string | null {
    try {
      if (typeof parentSpanId !== 'string') return null;
      const parent = this.#registry.get(parentSpanId);
      const traceId = parent?.span.traceId ?? this.#external.get(parentSpanId);
      if (traceId === undefined) return null;
      const span: Span = {
        traceId, spanId: newSpanId(), parentSpanId, name: String(operationName).slice(0, LIMITS.nameLength) || 'span', kind: 'internal',
        startTime: wallNow(), duration: 0, status: 'unset', tags: {}, logs: [],
      };
      if (parent === undefined || this.#underPreload.has(parent.span)) this.#underPreload.add(span);
      return this.#registry.open(span, (finished) => this.#export(finished)) ? span.spanId : null;
    } catch {
      return null;
    }
  }

  addTag(spanId: string, key: string, value: unknown): void {
    const open = this.#registry.get(spanId);
    if (open === undefined) return;
    const name = String(key).slice(0, LIMITS.tagKeyLength);
    // A tag is a value like any other: `db.statement` may quote a password, `token` hold one.
    putTag(open.span.tags, name, toShownTagValue(name, value));
  }

  addLog(spanId: string, level: string, message: string, fields?: Record<string, unknown>): void {
    const open = this.#registry.get(spanId);
    if (open === undefined || open.span.logs.length >= LIMITS.logsPerSpan) return;
    const log: Span['logs'][number] = {
      timestamp: wallNow(), level: String(level).slice(0, MAX_LEVEL_LENGTH) || 'info', message: shownText(String(message), LIMITS.logMessageLength),
    };
    const converted = toFields(fields);
    if (converted) log.fields = converted;
    // Logs past the budget are left out: the edge refuses a span longer than LIMITS.spanLength.
    const length = JSON.stringify(log).length;
    const used = this.#logsLength.get(open.span) ?? 0;
    if (used + length > SPAN_LOGS_LENGTH) return;
    this.#logsLength.set(open.span, used + length);
    open.span.logs.push(log);
  }

  /** Ends a span: status `ok` (default), `error` (default when `error`, a message or an Error, is given) or anything else (kept as the `span.status` tag). */
  finish(spanId: string, status?: string, error?: string | Error): void {
    if (this.#registry.get(spanId) === undefined) return;
    const mapped = spanStatus(status, error);
    // Redacted as a thrown error's message is: the app's `token=…` or connection URL is no less secret.
    const shownError = error === undefined ? undefined : shownText(String(error), LIMITS.errorLength);
    this.#registry.finish(spanId, mapped.status, shownError, mapped.tag ? { 'span.status': toShownTagValue('span.status', mapped.tag) } : undefined);
  }

  /** Open spans (copies, with their duration so far). */
  getActiveSpans(): TraceSpan[] {
    return this.#registry.active();
  }

  /** The most recently finished spans, oldest first (the newest `maxRecentSpans`). */
  getRecentSpans(): TraceSpan[] {
    return this.#registry.recent();
  }

  /** Waits for body captures in progress, then sends everything the exporters hold. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    await this.#exporter?.flush();
  }

  /**
   * Flushes, then stops the timers and the exporters: resolves within CLOSE_TIMEOUT_MS (2 s), holding
   * the process open meanwhile. What the exporters have not delivered by then (a collector down or
   * hanging) is given up and counted in one warning.
   */
  async close(): Promise<void> {
    forgetPart(this);
    this.#unhook();
    const closing = (async () => {
      await this.flush();
      this.#registry.stop();
      await this.#exporter?.shutdown();
    })();
    await closeWithin(closing, CLOSE_TIMEOUT_MS, () => {
      this.#registry.stop();
      return { lost: this.#exporter?.abandon?.() ?? 0, cause: this.#exporter?.lastFailure };
    }, this.#log);
  }

  /**
   * Under the preload, a trace of the tracer's own that goes to the edge (#toEdge) becomes the
   * preload's when its trace budget has room (Recorder.adoptTrace): its server span and the request's
   * detail record, linked, reach the edge as those of a trace it drew. Otherwise the trace is the
   * tracer's alone (its exporters but `edge`, its recent spans), and the preload keeps every span of
   * it off the edge, those of this process's servers its fetches reach too. With propagation off it
   * is the tracer's alone as well: the preload would pass it on.
   */
  #adopted(req: Request, context: IncomingContext): IncomingContext {
    const recorder = processRecorder();
    if (recorder === undefined || typeof recorder.adoptTrace !== 'function') return context;
    const state = this.#toEdge && this.#options.propagation.enabled ? stateOf(req) : undefined;
    if (state !== undefined && recorder.adoptTrace(state, context)) return { ...context, fromPreload: true, scope: state };
    recorder.keepOffEdge(context.traceId);
    return context;
  }

  /** Where the spans of a trace the preload records go besides it: all but `edge` for one it keeps off the edge. */
  #exporterFor(traceId: string): SpanExporter | undefined {
    return processRecorder()?.isOffEdge(traceId) ? this.#unshipped : this.#ownExporter;
  }

  /** A trace whose other spans the preload records: kept past the request (a fetch it started may end after it), oldest forgotten first. */
  #join(context: IncomingContext): void {
    if (this.#unshipped === undefined) return; // no exporter that could take them (#exporterFor)
    this.#joined.delete(context.traceId);
    this.#joined.set(context.traceId, context.spanId);
    if (this.#joined.size > JOINED_TRACES) this.#joined.delete(this.#joined.keys().next().value!);
  }

  /**
   * A span the preload records (an outbound fetch's client span, another tracer's child) in a trace
   * this tracer joined: to #ownExporter too. Not the preload's server span (the tracer's copy of it,
   * with the capture's tags, goes by #takePreloadSpan), nor the tracer's own children (#export sent them).
   */
  #takeJoinedSpan(span: Span): void {
    const server = this.#joined.get(span.traceId);
    if (server === undefined || span.spanId === server || this.#copying.has(span.spanId) || this.#underPreload.has(span)) return;
    this.#exporterFor(span.traceId)?.export([span]);
  }

  /**
   * With the preload in the process, the handler runs in its trace scope under this trace: an
   * outbound fetch then carries it on (and records its client span), as for a trace the preload drew.
   */
  #withOutboundContext(req: Request, context: IncomingContext, next: NextFunction): Response | Promise<Response> {
    // With propagation off the tracer writes no trace header, an outbound fetch's `traceparent` neither.
    if (processRecorder() === undefined || !this.#options.propagation.enabled) return next();
    this.#join(context); // its fetches' client spans, and the server spans of this process's servers they reach
    const outbound = new RequestState(req, performance.now(), req.method);
    outbound.traced = true;
    outbound.traceId = context.traceId;
    outbound.spanId = context.spanId;
    outbound.tracestate = context.tracestate;
    return traceScope.run(outbound, next);
  }

  async #passThrough(req: EnhancedRequest, next: NextFunction, context: IncomingContext): Promise<Response> {
    // Children only under a trace the preload records: under an untraced request they would be orphans.
    const joined = context.fromPreload && context.sampled;
    const capture = joined ? this.#joinPreloadSpan(req, context) : undefined;
    try {
      // A trace the preload took from this tracer: its outbound fetches carry it on, as for one it drew.
      const response = await (context.scope === undefined ? next() : traceScope.run(context.scope, next));
      capture?.answered(response);
      if (!context.fromPreload) {
        try {
          this.#setTraceparent(response, context);
        } catch {
          // immutable headers
        }
      }
      return response;
    } finally {
      if (joined) this.#external.delete(context.spanId);
    }
  }

  /**
   * A request the preload traces: its server span is the preload's, built when the request ends.
   * The tracer gets a copy, with its capture options' tags, for its own exporters (less those the
   * preload ships to) and its recent spans: each backend then receives whole traces, and what the
   * capture reads (query values, bodies) goes only where the tracer sends. Nothing here holds the
   * answer back: the copy waits for the captures, the response does not.
   */
  #joinPreloadSpan(req: EnhancedRequest, context: IncomingContext): { answered(response: Response): void } | undefined {
    this.#external.set(context.spanId, context.traceId);
    this.#join(context);
    this.#copying.add(context.spanId);
    if (this.#copying.size > JOINED_TRACES) this.#copying.delete(this.#copying.values().next().value!);
    try {
      const state = stateOf(req);
      if (state === undefined) return undefined;
      const tags: Record<string, TagValue> = {};
      this.#requestTags(req, tags);
      const requestBody = this.#bodyOf(req, this.#options.includeRequestBody);
      let responseBody: Promise<string | undefined> | undefined;
      const previous = state.tracerPart; // another tracer in the chain keeps its copy too
      state.tracerPart = {
        onSpan: (span) => {
          previous?.onSpan(span);
          this.#copying.delete(span.spanId);
          this.#takePreloadSpan(span, tags, requestBody, responseBody);
        },
      };
      return {
        answered: (response) => {
          if (response === null || typeof response !== 'object') return;
          try {
            this.#responseTags(response, tags);
            responseBody = this.#bodyOf(response, this.#options.includeResponseBody);
          } catch {
            // the copy goes without what could not be read
          }
        },
      };
    } catch {
      return undefined;
    }
  }

  /** The tracer's copy of the preload's server span: its tags first kept, the capture's added within the limits once read. */
  #takePreloadSpan(span: Span, captured: Record<string, TagValue>, requestBody: Promise<string | undefined> | undefined, responseBody: Promise<string | undefined> | undefined): void {
    const copy: Span = { ...span, tags: { ...span.tags } };
    this.#track(async () => {
      const tags: Record<string, TagValue> = { ...captured };
      await addBodyTags(tags, requestBody, responseBody);
      for (const [key, value] of Object.entries(tags)) if (!Object.hasOwn(copy.tags, key)) putTag(copy.tags, key, value);
      this.#registry.remember(copy);
      this.#exporterFor(copy.traceId)?.export([copy]);
    });
  }

  /** The capture options' tags of a request: its query and its headers. */
  #requestTags(req: Request, tags: Record<string, TagValue>): void {
    if (this.#options.includeQueryParams) queryTags(req.url, tags);
    if (this.#options.includeHeaders) headerTags(req.headers, 'http.request.header', tags);
  }

  #responseTags(response: Response, tags: Record<string, TagValue>): void {
    if (this.#options.includeHeaders) headerTags(response.headers, 'http.response.header', tags);
  }

  /** The body's capture, when `wanted` (its option is on). */
  #bodyOf(message: Request | Response, wanted: boolean): Promise<string | undefined> | undefined {
    return wanted ? captureBody(message, this.#options.maxBodyBytes, this.#captureMs) : undefined;
  }

  /** Work that waits for body captures: flush() waits for it too. */
  #track(work: () => Promise<void>): void {
    const pending = work().catch(() => {}).finally(() => this.#pending.delete(pending));
    this.#pending.add(pending);
  }

  #openServerSpan(req: EnhancedRequest, context: IncomingContext): boolean {
    try {
      // Redacted as every other value is: a path can hold a token (`/hook/ghp_…`, a JWT in a reset link; a review).
      const path = shownPath(pathOf(req.url), LIMITS.tagValueLength);
      const tags: Record<string, TagValue> = { 'http.method': req.method, 'http.target': path };
      this.#requestTags(req, tags);
      if (context.tracestate) tags['w3c.tracestate'] = context.tracestate.slice(0, LIMITS.tagValueLength);
      const span: Span = {
        traceId: context.traceId, spanId: context.spanId, name: `${req.method} ${path}`.slice(0, LIMITS.nameLength), kind: 'server',
        startTime: wallNow(), duration: 0, status: 'unset', tags, logs: [],
      };
      if (context.parentSpanId) span.parentSpanId = context.parentSpanId;
      return this.#registry.open(span, (finished) => this.#export(finished));
    } catch (error) {
      this.#log.warnOnce('tracer-open', `requestTracer: a server span could not be opened (${errorClassOf(error)}); the app is unaffected`);
      return false;
    }
  }

  #finishServer(req: Request, spanId: string, status: number, error: string | undefined, requestBody: Promise<string | undefined> | undefined, responseBody: Promise<string | undefined> | undefined, endedAt: number): void {
    const done = async () => {
      const tags: Record<string, TagValue> = { 'http.status_code': status };
      // The route the monitor counts the request under: the router's or Bun's template, else the
      // path with its ids as `:id`, so the dashboard finds the trace from the route's row.
      const state = stateOf(req);
      // Cut as the monitor cuts a route name, so a long one still matches its row.
      const route = (state?.routerRoute ?? state?.erroredRoute ?? state?.serveRoute ?? templateFromParams(req, normalisePath) ?? normalisePath(pathOf(req.url))).slice(0, LIMITS.routeLength);
      tags['http.route'] = route;
      // Named as the preload names its server spans (OpenTelemetry's `{method} {http.route}`): the raw
      // path, known when the span opened, made one name per id, and put ids (a user's, an order's) in names.
      const open = this.#registry.get(spanId);
      if (open !== undefined) open.span.name = `${req.method} ${route}`.slice(0, LIMITS.nameLength);
      await addBodyTags(tags, requestBody, responseBody);
      // As the preload's server spans: an error on 5xx or a throw, else unset (OpenTelemetry's HTTP conventions).
      this.#registry.finish(spanId, status >= 500 || error !== undefined ? 'error' : 'unset', error, tags, endedAt);
    };
    if (requestBody === undefined && responseBody === undefined) void done();
    else this.#track(done);
  }

  /** The trace passed back to the caller: only with propagation on, the one way to keep trace ids from an API's clients. */
  #setTraceparent(response: Response, context: IncomingContext): void {
    if (!this.#options.propagation.enabled) return;
    response.headers.set('traceparent', formatTraceparent(context.traceId, context.spanId, context.sampled));
    if (context.tracestate) response.headers.set('tracestate', context.tracestate);
  }

  #export(span: Span): void {
    try {
      if (this.#underPreload.has(span)) {
        this.#exporterFor(span.traceId)?.export([span]);
        processRecorder()?.recordSpan(span);
      } else this.#unshipped?.export([span]); // a trace the preload does not ship: nor its edge exporter, past the budget
    } catch (error) {
      this.#log.warnOnce('tracer-export', `requestTracer: an exporter threw (${errorClassOf(error)}); spans may be missing`);
    }
  }
}

/** The captured bodies as tags, once read (cut to a tag's length). */
async function addBodyTags(tags: Record<string, TagValue>, requestBody: Promise<string | undefined> | undefined, responseBody: Promise<string | undefined> | undefined): Promise<void> {
  const [reqBody, resBody] = await Promise.all([requestBody, responseBody]);
  // A login's form, a token endpoint's JSON: their secrets go as a query's do.
  if (reqBody !== undefined) tags['http.request.body'] = shownText(reqBody);
  if (resBody !== undefined) tags['http.response.body'] = shownText(resBody);
}

/** The factory's result: the `(req, next)` middleware that is also the tracer's API. */
export type RequestTracerMiddleware = ((req: EnhancedRequest, next: NextFunction) => Promise<Response>) &
  Pick<RequestTracer, (typeof API)[number] | 'handle'> & { readonly tracer: RequestTracer };

const API = ['createChildSpan', 'addTag', 'addLog', 'finish', 'getActiveSpans', 'getRecentSpans', 'flush', 'close'] as const;

/**
 * Creates a RequestTracer (throws at once on bad options or exporters) and returns it as middleware:
 * `router.use(tracer)`, then `tracer.createChildSpan(req.spanId!, 'db')` in handlers.
 *
 * @example
 * const tracer = requestTracer({ sampleRate: 0.1, exporters: [{ type: 'jaeger', endpoint: 'http://localhost:14268' }] });
 * router.use(tracer);
 */
export function requestTracer(options: TracingOptions = {}): RequestTracerMiddleware {
  let tracer: RequestTracer;
  try {
    tracer = new RequestTracer(options);
  } catch (error) {
    throw callersMistake(error, requestTracer);
  }
  const middleware = async function requestTracer(req: EnhancedRequest, next: NextFunction): Promise<Response> {
    return tracer.handle(req, next);
  };
  const api: Record<string, unknown> = { handle: tracer.handle.bind(tracer), tracer };
  for (const name of API) api[name] = (tracer[name] as (...args: unknown[]) => unknown).bind(tracer);
  return Object.assign(middleware, api) as unknown as RequestTracerMiddleware;
}
