// Spans → OTLP/HTTP JSON `ExportTraceServiceRequest` (opentelemetry-proto, collector/trace/v1),
// the body of POST /v1/traces. OTLP's JSON is proto3 JSON with two exceptions: trace and span
// ids are hex rather than base64, and enums are integers.
import type { Span, TagValue } from '../wire-format.ts';
import { isInteger, msToNanos } from './span-units.ts';

/** trace.proto `Span.SpanKind`. */
const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
/** trace.proto `Status.StatusCode`. */
const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpResource {
  serviceName: string;
  attributes?: Record<string, TagValue>;
}

/** proto3 JSON: int64 as a decimal string; doubles as numbers, or "NaN"/"Infinity"/"-Infinity", which JSON numbers cannot hold. */
export function anyValue(value: TagValue): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (isInteger(value)) return { intValue: String(value) };
  return { doubleValue: Number.isFinite(value) ? value : String(value) };
}

function keyValues(record: Record<string, TagValue>): OtlpKeyValue[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function toOtlpSpan(span: Span) {
  const start = msToNanos(span.startTime);
  const status: { code: number; message?: string } = { code: STATUS_CODE[span.status] };
  if (span.status === 'error' && span.error) status.message = span.error;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: SPAN_KIND[span.kind],
    startTimeUnixNano: String(start),
    // From the start's nanoseconds plus the duration's, so end − start is exactly the duration.
    endTimeUnixNano: String(start + BigInt(Math.round(span.duration * 1e6))),
    attributes: keyValues(span.tags),
    events: span.logs.map((log) => ({
      timeUnixNano: String(msToNanos(log.timestamp)),
      name: log.message,
      attributes: keyValues({ level: log.level, ...log.fields }),
    })),
    status,
  };
}

/**
 * @example
 * const body = encodeOtlpTraces(spans, { serviceName: 'checkout' }, { name: 'bun-apm' });
 * await fetch(`${collector}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
 */
export function encodeOtlpTraces(spans: readonly Span[], resource: OtlpResource, scope: { name: string; version?: string }): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues({ ...resource.attributes, 'service.name': resource.serviceName }) },
        scopeSpans: [{ scope, spans: spans.map(toOtlpSpan) }],
      },
    ],
  });
}
