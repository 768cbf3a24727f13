// The `jaeger` exporter: Thrift over HTTP to a Jaeger collector's /api/traces (port 14268).
import { BatchingSpanExporter } from './batching-span-exporter.ts';
import { signalUrl } from './endpoint-url.ts';
import { postBatch, type HttpExporterOptions } from './http-delivery.ts';
import { exitRequest } from './exit-request.ts';
import { encodeJaegerBatch } from '../../../core/span-encoders/jaeger-encoder.ts';

export const JAEGER_CONTENT_TYPE = 'application/vnd.apache.thrift.binary';

/**
 * @example
 * const jaeger = createJaegerExporter({ endpoint: 'http://jaeger:14268', serviceName: 'checkout' });
 * jaeger.export(spans);
 * await jaeger.shutdown();
 */
export function createJaegerExporter(options: HttpExporterOptions): BatchingSpanExporter {
  const target = { url: signalUrl(options.endpoint, '/api/traces'), headers: options.headers, retry: options.retry };
  const process = { serviceName: options.serviceName, tags: options.resourceAttributes };
  return new BatchingSpanExporter('jaeger', (batch, control) => postBatch(target, encodeJaegerBatch(batch, process), JAEGER_CONTENT_TYPE, control), options, (batch) =>
    exitRequest(target.url, target.headers, JAEGER_CONTENT_TYPE, encodeJaegerBatch(batch, process)),
  );
}
