// The server span of a traced request, built when it ends: named by its method and route, tagged as
// OpenTelemetry's HTTP conventions name them, bounded as the wire format allows.
import { shownPath } from '../../core/redaction/redaction.ts';
import { clip, LIMITS, type Span } from '../../core/wire-format.ts';
import type { RequestState } from './request-state.ts';

export function serverSpan(state: RequestState, timestamp: number, path: string, route: string, status: number): Span {
  const span: Span = {
    traceId: state.traceId!,
    spanId: state.spanId!,
    name: clip(`${state.method} ${route}`, LIMITS.routeLength),
    kind: 'server',
    startTime: timestamp,
    duration: state.duration,
    // OpenTelemetry's HTTP conventions: a server span is an error on 5xx (or a throw), else its status is left unset, 4xx included.
    status: status >= 500 || state.error !== undefined ? 'error' : 'unset',
    tags: { 'http.method': state.method, 'http.route': route, 'http.target': shownPath(path, LIMITS.tagValueLength), 'http.status_code': status },
    logs: [],
  };
  if (state.parentSpanId !== undefined) span.parentSpanId = state.parentSpanId;
  if (state.error !== undefined) span.error = clip(state.error, LIMITS.errorLength);
  return span;
}
