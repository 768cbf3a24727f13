// Outbound fetch from inside a request with trace context: a client span (when traced) and a
// `traceparent` on the outgoing request so the next service continues the trace. Outside such a
// request the app's fetch is called straight through. Exports use original-fetch.ts, never this.
import { formatTraceparent, newSpanId } from '../../core/trace-context.ts';
import { clip, LIMITS, type Span } from '../../core/wire-format.ts';
import { shownPath } from '../../core/redaction/redaction.ts';
import { redactUrl } from '../runtime/exporters/endpoint-url.ts';
import { errorClassOf } from '../runtime/log.ts';
import { isWrapped, WRAPPED } from './instrument-handler.ts';
import type { Recorder } from '../runtime/recorder.ts';
import { currentRequest } from '../runtime/trace-scope.ts';

/** Replaces globalThis.fetch; returns the function that puts the previous one back. */
export function instrumentFetch(recorder: Recorder): () => void {
  const previous = globalThis.fetch;
  if (isWrapped(previous)) return () => {};
  const instrumented = function fetch(this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const state = currentRequest();
    if (state === undefined || state.traceId === undefined || state.spanId === undefined || !overHttp(input)) return previous.call(this, input, init);
    let outgoing: ReturnType<typeof withTraceHeaders> | undefined;
    const spanId = state.traced ? newSpanId() : state.spanId;
    try {
      outgoing = withTraceHeaders(input, init, formatTraceparent(state.traceId, spanId, state.traced), state.tracestate);
    } catch {
      outgoing = undefined; // an input we can't read (a bad URL): let fetch itself report it
    }
    if (outgoing === undefined) return previous.call(this, input, init);
    const response = previous.call(this, input, outgoing.init);
    // A caller's own traceparent goes out as it is: a client span of ours would name a parent the next service never saw.
    if (!state.traced || !outgoing.injected) return response;
    const start = performance.now();
    const traceId = state.traceId;
    const parentSpanId = state.spanId;
    const { method, url } = outgoing;
    const finish = (status: number | undefined, error: unknown) => {
      const span: Span = {
        traceId,
        spanId,
        parentSpanId,
        name: clip(`${method} ${hostOf(url)}`, LIMITS.routeLength),
        kind: 'client',
        startTime: recorder.wallOffset + start,
        duration: performance.now() - start,
        // OpenTelemetry's HTTP conventions: a client span is an error on 4xx and 5xx, else its status is left unset.
        status: error !== undefined || (status !== undefined && status >= 400) ? 'error' : 'unset',
        // Its path redacted as a traced request's is: a Slack webhook's, a key or a JWT as a segment (a review).
        tags: { 'http.method': method, 'http.url': shownPath(url, LIMITS.tagValueLength) },
        logs: [],
      };
      if (status !== undefined) span.tags['http.status_code'] = status;
      if (error !== undefined) span.error = clip(errorClassOf(error), LIMITS.errorLength);
      recorder.recordSpan(span);
    };
    // The span ends when the response headers arrive (when fetch resolves), as OpenTelemetry's fetch instrumentation does.
    response.then(
      (res) => finish(res.status, undefined),
      (error: unknown) => finish(undefined, error),
    );
    return response;
  } as typeof fetch;
  Object.assign(instrumented, previous); // Bun's fetch.preconnect and friends
  Object.defineProperty(instrumented, WRAPPED, { value: true });
  globalThis.fetch = instrumented;
  return () => {
    if (globalThis.fetch === instrumented) globalThis.fetch = previous;
  };
}

/** The init to send with: the caller's headers plus traceparent (unless they set one themselves). */
export function withTraceHeaders(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  traceparent: string,
  tracestate: string | undefined,
): { init: RequestInit; method: string; url: string; injected: boolean } {
  const request = input instanceof Request ? input : undefined;
  const headers = new Headers(init?.headers ?? request?.headers);
  const injected = !headers.has('traceparent');
  if (injected) {
    headers.set('traceparent', traceparent);
    if (tracestate && !headers.has('tracestate')) headers.set('tracestate', tracestate);
  }
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  const url = redactUrl(request ? request.url : String(input));
  return { init: { ...initFields(init), headers }, method, url, injected };
}

/** What fetch reads from an init, Bun's own options included. */
const INIT_FIELDS = [
  'method', 'body', 'redirect', 'signal', 'credentials', 'mode', 'referrer', 'referrerPolicy', 'integrity', 'keepalive', 'cache', 'window',
  'duplex', 'priority', 'proxy', 'tls', 'verbose', 'decompress', 'unix', 'timeout', 's3',
] as const;

/**
 * The init's fields as fetch would read them. A spread copies own properties only: a Request given as
 * the init (a proxy's `fetch(url, req)`), a class with getters or an object made by Object.create keep
 * their method and body elsewhere, and went out as a bodyless GET.
 */
function initFields(init: RequestInit | undefined): RequestInit {
  if (init === undefined || init === null) return {};
  const prototype = Object.getPrototypeOf(init);
  if (prototype === Object.prototype || prototype === null) return { ...init };
  const fields: Record<string, unknown> = {};
  for (const field of INIT_FIELDS) if (field in init) fields[field] = (init as Record<string, unknown>)[field];
  return fields as RequestInit;
}

/**
 * Whether a fetch goes over HTTP: a `data:`, `file:` or `blob:` URL reads no service, and its span
 * was named from the URL's text ("GET nulltext/plain;base64,…", a data URL's payload included).
 */
function overHttp(input: RequestInfo | URL): boolean {
  try {
    return /^https?:/i.test(input instanceof Request ? input.url : String(input));
  } catch {
    return false; // fetch itself reports what cannot be read
  }
}

function hostOf(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return url;
  const end = url.indexOf('/', start + 2);
  return url.slice(start + 2, end < 0 ? undefined : end);
}

