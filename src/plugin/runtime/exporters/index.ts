// The trace exporters: the public surface of src/plugin/exporters.
import type { Span } from '../../../core/wire-format.ts';

/** The spec's name for a finished span, as custom exporters receive it. */
export type TraceSpan = Span;
export type { SpanKind, SpanLog, SpanStatus, TagValue } from '../../../core/wire-format.ts';

export type { SpanExporter } from './span-exporter.ts';
export { createSpanExporters, type CreateSpanExportersOptions } from './create-span-exporters.ts';
export { combineSpanExporters } from './combine-span-exporters.ts';
export { EXPORTER_TYPES, ENDPOINT_ENV, exporterTarget, type ExporterConfig, type ExporterType } from './exporter-config.ts';
export { BatchingSpanExporter, BATCHING_DEFAULTS, type BatchingOptions, type Deliver, type DeliveryResult } from './batching-span-exporter.ts';
export type { ExporterRetryOptions, HttpExporterOptions } from './http-delivery.ts';
export { createConsoleExporter, type ConsoleExporterOptions } from './console-exporter.ts';
export { createCustomExporter, type CustomExporterOptions, type CustomExportFunction } from './custom-exporter.ts';
export { createJaegerExporter, JAEGER_CONTENT_TYPE } from './jaeger-exporter.ts';
export { createZipkinExporter } from './zipkin-exporter.ts';
export { createOtlpExporter } from './otlp-exporter.ts';
