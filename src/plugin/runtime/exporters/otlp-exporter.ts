// The `otlp` exporter: OTLP/HTTP with JSON bodies to /v1/traces (port 4318), for an OpenTelemetry
// Collector, Jaeger v2, Tempo, Honeycomb and the like.
import { BatchingSpanExporter, type DeliveryResult } from './batching-span-exporter.ts';
import { signalUrl } from './endpoint-url.ts';
import { postBatch, type HttpExporterOptions } from './http-delivery.ts';
import { exitRequest } from './exit-request.ts';
import { encodeOtlpTraces } from '../../../core/span-encoders/otlp-encoder.ts';

const SCOPE = { name: 'bun-apm' };

/**
 * A 2xx answer may still carry `partialSuccess { rejectedSpans, errorMessage }`: those spans
 * are lost and must not be retried, so they are counted as dropped and the message logged.
 */
export function readPartialSuccess(responseBody: string): DeliveryResult & { ok: true } {
  try {
    const partial = (JSON.parse(responseBody) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } }).partialSuccess;
    const rejected = Number(partial?.rejectedSpans ?? 0);
    return { ok: true, rejected: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, message: partial?.errorMessage || undefined };
  } catch {
    return { ok: true }; // an empty or non-JSON success body is a plain success
  }
}

/**
 * @example
 * const otlp = createOtlpExporter({ endpoint: 'http://otel-collector:4318', serviceName: 'checkout' });
 */
export function createOtlpExporter(options: HttpExporterOptions): BatchingSpanExporter {
  const target = { url: signalUrl(options.endpoint, '/v1/traces'), headers: options.headers, retry: options.retry };
  const resource = { serviceName: options.serviceName, attributes: options.resourceAttributes };
  return new BatchingSpanExporter(
    'otlp',
    async (batch, control) => {
      const delivery = await postBatch(target, encodeOtlpTraces(batch, resource, SCOPE), 'application/json', control);
      return delivery.ok ? readPartialSuccess(delivery.responseBody) : delivery;
    },
    options,
    (batch) => exitRequest(target.url, target.headers, 'application/json', encodeOtlpTraces(batch, resource, SCOPE)),
  );
}
