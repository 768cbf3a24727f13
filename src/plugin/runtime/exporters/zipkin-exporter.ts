// The `zipkin` exporter: Zipkin v2 JSON to /api/v2/spans (port 9411).
import { BatchingSpanExporter } from './batching-span-exporter.ts';
import { signalUrl } from './endpoint-url.ts';
import { postBatch, type HttpExporterOptions } from './http-delivery.ts';
import { exitRequest } from './exit-request.ts';
import { encodeZipkinSpans } from '../../../core/span-encoders/zipkin-encoder.ts';

/**
 * @example
 * const zipkin = createZipkinExporter({ endpoint: 'http://zipkin:9411', serviceName: 'checkout' });
 */
export function createZipkinExporter(options: HttpExporterOptions): BatchingSpanExporter {
  const target = { url: signalUrl(options.endpoint, '/api/v2/spans'), headers: options.headers, retry: options.retry };
  const encode = (batch: Parameters<typeof encodeZipkinSpans>[0]) => encodeZipkinSpans(batch, options.serviceName);
  return new BatchingSpanExporter('zipkin', (batch, control) => postBatch(target, encode(batch), 'application/json', control), options, (batch) => exitRequest(target.url, target.headers, 'application/json', encode(batch)));
}
