// Spans → Zipkin v2 JSON (`ListOfSpans` of zipkin2-api.yaml), the body of POST /api/v2/spans.
import type { Span, SpanLog } from '../wire-format.ts';
import { msToMicros } from './span-units.ts';

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER';
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName: string };
  annotations?: Array<{ timestamp: number; value: string }>;
  tags: Record<string, string>;
}

/** Annotations are one string each: the message, prefixed by its level, followed by its fields as JSON. */
function annotationValue(log: SpanLog): string {
  const fields = log.fields && Object.keys(log.fields).length > 0 ? ` ${JSON.stringify(log.fields)}` : '';
  return `${log.level}: ${log.message}${fields}`;
}

export function toZipkinSpan(span: Span, serviceName: string): ZipkinSpan {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.tags)) tags[key] = String(value);
  // Zipkin marks a failed span by the presence of an `error` tag; `otel.status_code` as
  // OpenTelemetry's Zipkin mapping writes it.
  if (span.status === 'error') {
    tags['otel.status_code'] = 'ERROR';
    tags.error = span.error || 'true';
  } else if (span.status === 'ok') {
    tags['otel.status_code'] = 'OK';
  }
  const zipkin: ZipkinSpan = {
    traceId: span.traceId,
    id: span.spanId,
    name: span.name,
    timestamp: msToMicros(span.startTime),
    // The API: "Durations of less than one are rounded up."
    duration: Math.max(1, msToMicros(span.duration)),
    localEndpoint: { serviceName },
    tags,
  };
  if (span.parentSpanId) zipkin.parentId = span.parentSpanId;
  // `internal` has no Zipkin kind: an absent kind is a local span.
  if (span.kind === 'server') zipkin.kind = 'SERVER';
  else if (span.kind === 'client') zipkin.kind = 'CLIENT';
  if (span.logs.length > 0) {
    zipkin.annotations = span.logs.map((log) => ({ timestamp: msToMicros(log.timestamp), value: annotationValue(log) }));
  }
  return zipkin;
}

/**
 * @example
 * await fetch(`${zipkin}/api/v2/spans`, { method: 'POST', body: encodeZipkinSpans(spans, 'checkout'), headers: { 'content-type': 'application/json' } });
 */
export function encodeZipkinSpans(spans: readonly Span[], serviceName: string): string {
  return JSON.stringify(spans.map((span) => toZipkinSpan(span, serviceName)));
}
