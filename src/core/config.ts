// The configuration a Bun app gives bun-apm, and `defineConfig` for `bun-apm.config.ts`.
import type { Batch } from './wire-format.ts';

/** Options of the zero-code preload; every one is optional, and the scalar ones also have an environment variable. */
export interface BunApmConfig {
  /** Edge base URL (`BUN_APM_ENDPOINT`); unset = collect, ship nowhere. */
  endpoint?: string;
  /** `BUN_APM_INGEST_KEY`. */
  ingestKey?: string;
  /** `BUN_APM_APP`; default: the app's package.json name. */
  app?: string;
  /** `BUN_APM_SERVICE`; default: the app name. */
  service?: string;
  /** Share of requests that keep a detail record (`BUN_APM_SAMPLE_RATE`, default 0.1). Every request is counted anyway. */
  sampleRate?: number;
  /** Share of requests traced (`BUN_APM_TRACE_SAMPLE_RATE`, default 0.01). */
  traceSampleRate?: number;
  /** `BUN_APM_FLUSH_INTERVAL_MS`, default 10 000. */
  flushIntervalMs?: number;
  /** Bound on data waiting to be shipped, bytes (default 16 MiB); past it the oldest is dropped and counted. */
  maxPendingBytes?: number;
  /** Distinct route keys kept before new ones go to the `other` bucket (default 500). */
  routeCap?: number;
  profiling?: { enabled?: boolean; interval?: number };
  /** `BUN_APM_DISABLED`. */
  disabled?: boolean;
  /** `BUN_APM_DEBUG`. */
  debug?: boolean;
  /**
   * `Server-Timing: total;dur=…` on responses: `traced` (default) on those that also carry a
   * traceparent, `all` on every response (costs a header write per request), `off` never.
   */
  serverTiming?: 'traced' | 'all' | 'off';
  /** Retry knobs of the edge export (defaults: 5 attempts, 1 s backoff doubling to 30 s, 10 s per attempt). */
  export?: { maxAttempts?: number; initialBackoffMs?: number; maxBackoffMs?: number; timeoutMs?: number };
  /** More trace backends; spans still go to the edge when `endpoint` is set. See ExporterEntry. */
  exporters?: ExporterEntry[];
  /** Custom storage: receives every batch the preload cuts, whether or not an endpoint is set. */
  storage?: { type: 'custom'; customHandler: (batch: Batch) => void | Promise<void> };
}

/**
 * One trace backend: `{ type: 'console' }`, `{ type: 'jaeger', endpoint: 'http://jaeger:14268' }`,
 * `{ type: 'zipkin' | 'otlp', endpoint }`, `{ type: 'custom', customExporter(spans) {} }`. The full
 * option set (headers, retry, queue sizes) is ExporterConfig in src/plugin/exporters.
 */
export interface ExporterEntry {
  type: 'console' | 'jaeger' | 'zipkin' | 'otlp' | 'custom' | 'edge';
  [option: string]: unknown;
}

/**
 * Types a `bun-apm.config.ts` file; returns its argument unchanged.
 *
 * @example
 * export default defineConfig({ sampleRate: 0.05, profiling: { interval: 10_000 } });
 */
export function defineConfig<T extends BunApmConfig>(config: T): T {
  return config;
}
