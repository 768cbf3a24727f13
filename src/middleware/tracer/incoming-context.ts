// Where a request's trace comes from: the preload's state (same process), W3C traceparent and
// tracestate, then the configured legacy headers (x-trace-id / x-span-id), else a new trace.
import { formatTracestate, newSpanId, newTraceId, parseTraceparent, parseTracestate } from '../../core/trace-context.ts';
import { processRecorder } from '../../plugin/runtime/process-recorder.ts';
import { stateOf, type RequestState } from '../../plugin/runtime/request-state.ts';
import type { ResolvedTracingOptions } from './tracer-options.ts';

export interface IncomingContext {
  traceId: string;
  /** This request's server span. */
  spanId: string;
  parentSpanId?: string;
  tracestate?: string;
  sampled: boolean;
  /** The preload records the server span itself; the tracer only adds children. */
  fromPreload: boolean;
  /** The preload's state of a trace it took from the tracer (adoptTrace): the handler runs in its trace scope. */
  scope?: RequestState;
}

const LEGACY_TRACE_ID = /^[0-9a-f]{16,32}$/i;
const LEGACY_SPAN_ID = /^[0-9a-f]{16}$/i;
const ZERO = /^0+$/;

export function incomingContext(req: Request, options: ResolvedTracingOptions): IncomingContext | undefined {
  // The preload's state only: the middleware's own recorder reads traceparent too, records no spans.
  const state = processRecorder() === undefined ? undefined : stateOf(req);
  if (state?.traceId !== undefined && state.spanId !== undefined) {
    // A trace the preload drew itself for a caller that sent its context in legacy headers only (the
    // preload reads none): continued under the caller's ids, as without the preload (a review: the
    // caller's trace id had been replaced). Before the handler runs, so nothing has used the drawn ids.
    const legacy = state.traced && state.parentSpanId === undefined && options.propagation.enabled ? legacyContext(req, options) : undefined;
    if (legacy !== undefined) {
      state.traceId = legacy.traceId;
      state.parentSpanId = legacy.parentSpanId;
    }
    return { traceId: state.traceId, spanId: state.spanId, parentSpanId: state.parentSpanId, tracestate: state.tracestate, sampled: state.traced, fromPreload: true };
  }
  if (options.propagation.enabled) {
    const parent = parseTraceparent(req.headers.get('traceparent'));
    if (parent !== null) {
      const context: IncomingContext = { traceId: parent.traceId, spanId: newSpanId(), parentSpanId: parent.parentId, sampled: parent.sampled, fromPreload: false };
      const tracestate = formatTracestate(parseTracestate(req.headers.get('tracestate')));
      if (tracestate) context.tracestate = tracestate;
      return context;
    }
    const legacy = legacyContext(req, options);
    // Legacy headers carry no sampling flag: a caller who sends an id wants the trace continued.
    if (legacy !== undefined) return { ...legacy, spanId: newSpanId(), sampled: true, fromPreload: false };
  }
  if (options.sampleRate > 0 && (options.sampleRate >= 1 || options.random() < options.sampleRate)) {
    return { traceId: newTraceId(), spanId: newSpanId(), sampled: true, fromPreload: false };
  }
  return undefined;
}

/** The caller's trace in the configured legacy headers (x-trace-id, x-span-id), when its trace id is valid. */
function legacyContext(req: Request, options: ResolvedTracingOptions): { traceId: string; parentSpanId?: string } | undefined {
  const { traceIdHeader, spanIdHeader } = options.propagation;
  const legacyTrace = traceIdHeader ? req.headers.get(traceIdHeader)?.trim() : undefined;
  if (!legacyTrace || !LEGACY_TRACE_ID.test(legacyTrace) || ZERO.test(legacyTrace)) return undefined;
  const context: { traceId: string; parentSpanId?: string } = { traceId: legacyTrace.toLowerCase().padStart(32, '0') };
  const legacySpan = spanIdHeader ? req.headers.get(spanIdHeader)?.trim() : undefined;
  if (legacySpan && LEGACY_SPAN_ID.test(legacySpan) && !ZERO.test(legacySpan)) context.parentSpanId = legacySpan.toLowerCase();
  return context;
}
