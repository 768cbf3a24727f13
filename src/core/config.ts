// The configuration a Bun app gives bun-apm, and `defineConfig` for `bun-apm.config.ts`.
import type { Batch, Span } from './wire-format.ts';

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
  /** Fixed share of requests that keep a detail record (`BUN_APM_SAMPLE_RATE`); unset, detail is adaptive (samplesPerSecond). Every request is counted anyway. */
  sampleRate?: number;
  /** Fixed share of requests traced (`BUN_APM_TRACE_SAMPLE_RATE`); unset, tracing is adaptive (tracesPerSecond). */
  traceSampleRate?: number;
  /** Adaptive detail: at most this many detail records per second per instance (`BUN_APM_SAMPLES_PER_SECOND`, default 10). */
  samplesPerSecond?: number;
  /** Adaptive tracing: at most this many new traces per second per instance (`BUN_APM_TRACES_PER_SECOND`, default 1). */
  tracesPerSecond?: number;
  /** A caller's sampled `traceparent` is followed up to this many per second (`BUN_APM_PARENT_TRACES_PER_SECOND`, default 10); past it, refused and counted. */
  parentTracesPerSecond?: number;
  /** Adaptive detail keeps part of its budget for rare routes, so a hot route cannot starve them (`BUN_APM_ROUTE_FAIRNESS`, default on). */
  routeFairness?: boolean;
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
 * `{ type: 'zipkin' | 'otlp', endpoint }`, `{ type: 'custom', customExporter(spans) {} }`. Checked
 * when the preload starts: a bad entry stops it with a message naming the entry.
 */
export interface ExporterEntry {
  type: 'console' | 'jaeger' | 'zipkin' | 'otlp' | 'custom' | 'edge';
  /** jaeger, zipkin, otlp: the backend's base URL (e.g. `http://jaeger:14268`) or the full URL to POST to. */
  endpoint?: string;
  /** jaeger, zipkin, otlp: extra request headers, e.g. `Authorization`. Never logged. */
  headers?: Record<string, string>;
  /** custom: receives each batch; may be async. Its failures are logged and counted, not thrown. */
  customExporter?: (spans: Span[]) => void | Promise<void>;
  /** custom: how long one call may take, ms (default 30 000). */
  exportTimeoutMs?: number;
  /** jaeger, zipkin, otlp: retry knobs (defaults: 5 attempts, 1 s backoff doubling to 30 s, 10 s per attempt). */
  retry?: { maxAttempts?: number; initialBackoffMs?: number; maxBackoffMs?: number; timeoutMs?: number };
  /** Spans kept waiting at most; past it the oldest are dropped and counted (default 2048). */
  maxQueueSize?: number;
  /** Spans per request at most (default 512). */
  maxExportBatchSize?: number;
  /** Longest a span waits before a partial batch is sent, ms (default 5000). */
  scheduledDelayMs?: number;
}

/**
 * Types a `bun-apm.config.ts` file; returns its argument unchanged. Not generic, so that TypeScript
 * checks the object for options that do not exist (a misspelling) as well as for wrong values.
 *
 * @example
 * export default defineConfig({ sampleRate: 0.05, profiling: { interval: 10_000 } });
 */
export function defineConfig(config: BunApmConfig): BunApmConfig {
  return config;
}
