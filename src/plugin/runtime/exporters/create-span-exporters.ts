// The factory behind `tracing.exporters`: validates every entry, then builds one SpanExporter each.
import type { TagValue } from '../../../core/wire-format.ts';
import { createConsoleExporter } from './console-exporter.ts';
import { createCustomExporter } from './custom-exporter.ts';
import { resolveEndpoint, validateExporterConfigs, type ExporterConfig } from './exporter-config.ts';
import type { HttpExporterOptions } from './http-delivery.ts';
import { createJaegerExporter } from './jaeger-exporter.ts';
import { createOtlpExporter } from './otlp-exporter.ts';
import type { SpanExporter } from './span-exporter.ts';
import { createZipkinExporter } from './zipkin-exporter.ts';

export interface CreateSpanExportersOptions {
  /** `service.name` of the spans (default `unknown_service:bun`, OpenTelemetry's convention). */
  serviceName?: string;
  /** More attributes of the process, for Jaeger process tags and the OTLP resource. */
  resourceAttributes?: Record<string, TagValue>;
  /** Builds the `edge` exporter (the bun-apm Worker); supplied by the preload, which owns that batcher. */
  edge?: () => SpanExporter;
  /** Where JAEGER_ENDPOINT and ZIPKIN_ENDPOINT are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where exporter warnings go, unprefixed (default: console.warn with a `bun-apm: ` prefix). */
  log?: (message: string) => void;
}

/**
 * Throws at creation on a bad entry (unknown type, missing or invalid endpoint, custom without
 * customExporter, …), naming it, so a mistake shows at startup.
 *
 * @example
 * const exporters = createSpanExporters(
 *   [{ type: 'console' }, { type: 'jaeger', endpoint: 'http://jaeger:14268' }],
 *   { serviceName: 'checkout' },
 * );
 * for (const exporter of exporters) exporter.export(spans);
 */
export function createSpanExporters(configs: readonly ExporterConfig[], options: CreateSpanExportersOptions = {}): SpanExporter[] {
  const env = options.env ?? process.env;
  validateExporterConfigs(configs, env, options.edge !== undefined);
  const serviceName = options.serviceName ?? 'unknown_service:bun';
  return configs.map((config): SpanExporter => {
    const batching = {
      maxQueueSize: config.maxQueueSize,
      maxExportBatchSize: config.maxExportBatchSize,
      scheduledDelayMs: config.scheduledDelayMs,
      log: options.log,
    };
    const http = (): HttpExporterOptions => ({
      ...batching,
      endpoint: resolveEndpoint(config, env)!, // validated above
      headers: config.headers,
      retry: config.retry,
      serviceName,
      resourceAttributes: options.resourceAttributes,
    });
    switch (config.type) {
      case 'console':
        return createConsoleExporter(batching);
      case 'jaeger':
        return createJaegerExporter(http());
      case 'zipkin':
        return createZipkinExporter(http());
      case 'otlp':
        return createOtlpExporter(http());
      case 'custom':
        return createCustomExporter({ ...batching, customExporter: config.customExporter!, exportTimeoutMs: config.exportTimeoutMs });
      case 'edge':
        return options.edge!();
    }
  });
}

