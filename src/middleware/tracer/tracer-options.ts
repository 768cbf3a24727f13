// RequestTracer's options: defaults, and the checks that make a mistake show at construction.
import { ConfigError } from '../../core/config/config-error.ts';
import { TRACER } from '../../core/config/settings.ts';
import { defaultAppName } from '../../plugin/runtime/app-name.ts';
import type { ExporterConfig } from '../../plugin/runtime/exporters/exporter-config.ts';
import { optionChecks } from '../option-checks.ts';

export interface TracingOptions {
  /** Default true. When false the middleware just calls next(). */
  enabled?: boolean;
  /** Fraction of new traces recorded (default 1). A caller's sampled `traceparent` is always followed. */
  sampleRate?: number;
  /** Request and response headers as span tags (default false); names that look secret (authorization, cookie, x-api-key, x-auth-token…) are always `[REDACTED]`. */
  includeHeaders?: boolean;
  /** Query parameters as `http.query.<name>` tags (default true); names that look secret (token, key, password, code…) are always `[REDACTED]`. */
  includeQueryParams?: boolean;
  /** Text request bodies (JSON, form, text/*, XML) up to `maxBodyBytes` as a tag (default false). */
  includeRequestBody?: boolean;
  includeResponseBody?: boolean;
  /** Body bytes kept (default 8192). */
  maxBodyBytes?: number;
  /**
   * console, jaeger, zipkin, otlp, custom (JAEGER_ENDPOINT / ZIPKIN_ENDPOINT when `endpoint` is absent),
   * and edge when the preload runs in the process (spans join the preload's, within its trace budget).
   * Without exporters, spans go to the preload's exporters if it runs (so within its budget too), and
   * are kept for getRecentSpans either way.
   */
  exporters?: ExporterConfig[];
  /** W3C traceparent/tracestate are read first, then `headers`: [trace id header, span id header]. */
  propagation?: { enabled?: boolean; headers?: string[] };
  /** `service.name` in exported spans (default: the name in ./package.json, else the directory's name, as the preload's app name). */
  serviceName?: string;
  /** A span not finished after this many ms is closed and tagged `bun-apm.timed_out` (default 300 000). */
  spanTimeout?: number;
  /** Finished spans kept for getRecentSpans (default 1000); open spans kept at most (default 10 000). */
  maxRecentSpans?: number;
  maxActiveSpans?: number;
  /** Where warnings go, one line each (default stderr). */
  log?: (line: string) => void;
  /** Injected randomness for the sampling decision (tests). */
  random?: () => number;
}

export interface ResolvedTracingOptions {
  enabled: boolean;
  sampleRate: number;
  includeHeaders: boolean;
  includeQueryParams: boolean;
  includeRequestBody: boolean;
  includeResponseBody: boolean;
  maxBodyBytes: number;
  propagation: { enabled: boolean; traceIdHeader: string | undefined; spanIdHeader: string | undefined };
  serviceName: string;
  spanTimeout: number;
  maxRecentSpans: number;
  maxActiveSpans: number;
  random: () => number;
}

const option = optionChecks('requestTracer');

export function resolveTracingOptions(options: TracingOptions): ResolvedTracingOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('requestTracer: options must be an object');
  const sampleRate = option(TRACER.sampleRate, options.sampleRate);
  const headers = options.propagation?.headers ?? ['x-trace-id', 'x-span-id'];
  if (!Array.isArray(headers) || headers.some((h) => typeof h !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(h))) {
    throw new ConfigError('requestTracer option propagation.headers: expected an array of header names, e.g. ["x-trace-id", "x-span-id"]');
  }
  return {
    enabled: option(TRACER.enabled, options.enabled),
    sampleRate,
    includeHeaders: option(TRACER.includeHeaders, options.includeHeaders),
    includeQueryParams: option(TRACER.includeQueryParams, options.includeQueryParams),
    includeRequestBody: option(TRACER.includeRequestBody, options.includeRequestBody),
    includeResponseBody: option(TRACER.includeResponseBody, options.includeResponseBody),
    maxBodyBytes: option(TRACER.maxBodyBytes, options.maxBodyBytes),
    propagation: {
      enabled: option(TRACER.propagationEnabled, options.propagation?.enabled),
      traceIdHeader: headers[0]?.toLowerCase(),
      spanIdHeader: headers[1]?.toLowerCase(),
    },
    serviceName: option(TRACER.serviceName, options.serviceName) ?? defaultAppName(process.cwd()),
    spanTimeout: option(TRACER.spanTimeout, options.spanTimeout),
    maxRecentSpans: option(TRACER.maxRecentSpans, options.maxRecentSpans),
    maxActiveSpans: option(TRACER.maxActiveSpans, options.maxActiveSpans),
    random: options.random ?? Math.random,
  };
}
