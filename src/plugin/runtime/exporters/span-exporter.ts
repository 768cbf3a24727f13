// The contract between whatever produces spans (the preload, RequestTracer) and whatever ships them.
import type { Span } from '../../../core/wire-format.ts';

/**
 * Buffers spans and sends them somewhere. Modelled on OpenTelemetry's BatchSpanProcessor +
 * exporter pair, folded into one object: a bounded queue that drops and counts, a batch size
 * and a timer (unref'd), the retry rules of send-with-retry.ts, and a shutdown that runs once.
 */
export interface SpanExporter {
  readonly name: string;
  /** Queues spans; never throws, never blocks, never does I/O on the caller's path. */
  export(spans: readonly Span[]): void;
  /** Sends everything queued; resolves when done or given up (never rejects). */
  flush(): Promise<void>;
  /** Flushes once more and stops the timer; safe to call twice. */
  shutdown(): Promise<void>;
  /** Spans dropped because the queue was full or the backend refused them for good. */
  readonly dropped: number;
}
