// The three HTTP exporters side by side, each with the independent decoder that reads its body,
// so delivery behaviour (retries, refusals, bounds, flush) is tested the same way for all.
import { createJaegerExporter, createOtlpExporter, createZipkinExporter, type BatchingSpanExporter, type HttpExporterOptions } from '../../../../src/plugin/runtime/exporters/index.ts';
import { decodeJaegerBatch } from './jaeger-thrift-decoder.ts';
import { parseOtlpTraceRequest } from './otlp-proto.ts';
import { parseZipkinSpans } from './zipkin-schema.ts';

export interface HttpExporterKind {
  type: 'jaeger' | 'zipkin' | 'otlp';
  path: string;
  contentType: string;
  create(options: HttpExporterOptions): BatchingSpanExporter;
  /** Span ids in a request body, in order, read by that format's independent decoder. */
  spanIds(body: Uint8Array): string[];
}

const text = (body: Uint8Array) => new TextDecoder().decode(body);

export const HTTP_EXPORTER_KINDS: HttpExporterKind[] = [
  {
    type: 'jaeger',
    path: '/api/traces',
    contentType: 'application/vnd.apache.thrift.binary',
    create: createJaegerExporter,
    spanIds: (body) => decodeJaegerBatch(body).spans.map((span) => span.spanId),
  },
  {
    type: 'zipkin',
    path: '/api/v2/spans',
    contentType: 'application/json',
    create: createZipkinExporter,
    spanIds: (body) => parseZipkinSpans(text(body)).map((span) => span.id as string),
  },
  {
    type: 'otlp',
    path: '/v1/traces',
    contentType: 'application/json',
    create: createOtlpExporter,
    spanIds: (body) =>
      parseOtlpTraceRequest(text(body)).resourceSpans.flatMap((resource: any) =>
        resource.scopeSpans.flatMap((scope: any) => scope.spans.map((span: any) => span.spanId as string)),
      ),
  },
];
