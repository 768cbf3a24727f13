// The cheap shape check a span passes before it is queued: the wire encoders write ids as raw
// bytes and times as integers, so one malformed span must not poison a whole batch.
import type { Span } from '../../../core/wire-format.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export function isExportableSpan(span: Span): boolean {
  return (
    typeof span === 'object' &&
    span !== null &&
    TRACE_ID.test(span.traceId) &&
    SPAN_ID.test(span.spanId) &&
    (span.parentSpanId === undefined || SPAN_ID.test(span.parentSpanId)) &&
    typeof span.name === 'string' &&
    Number.isFinite(span.startTime) &&
    Number.isFinite(span.duration) &&
    span.duration >= 0 &&
    typeof span.tags === 'object' &&
    span.tags !== null &&
    Array.isArray(span.logs) &&
    span.logs.every((log) => Number.isFinite(log.timestamp) && typeof log.message === 'string')
  );
}
