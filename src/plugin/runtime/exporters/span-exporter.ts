// The contract between whatever produces spans (the preload, RequestTracer) and whatever ships them.
import type { Span } from '../../../core/wire-format.ts';

/**
 * One request an exporter's queued spans make at exit, in its own format, built synchronously: in
 * an `exit` listener nothing asynchronous runs, so the final send's child process makes it.
 */
export interface ExitRequest {
  /** The exporter's name, for the log line. */
  exporter: string;
  url: string;
  /** Every header, content-type included: handed to the child in its environment, never in a file. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Spans it carries. */
  spans: number;
}

/** What an exporter hands over at exit (it is closed by then). */
export interface ExitDrain {
  requests: ExitRequest[];
  /** Spans queued that cannot go at exit (a custom exporter's function is asynchronous). */
  unsent: number;
  /** Spans of a request on the wire, which the exit cuts off: they may or may not have arrived. */
  inFlight: number;
  /** Spans queued but not encoded: the exit's share of the budget for encoding ran out first. */
  outOfTime: number;
}

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
  /**
   * Spans dropped because the queue was full or the backend refused them for good. Each is said in
   * a line with its cause, but for those counted by whoever called drainAtExit() or abandon().
   */
  readonly dropped: number;
  /** Why the last delivery failed (refused, an HTTP status, a timeout), while none has succeeded since: the cause the caller names for spans given up. */
  readonly lastFailure?: string;
  /**
   * At exit (synchronous): closes the exporter and returns its queued spans as requests to make,
   * encoded until `until` (performance.now()); the rest counted in `outOfTime`.
   * Absent on an exporter that holds nothing (the tracer's `edge`, which hands spans to the preload).
   */
  drainAtExit?(until?: number): ExitDrain;
  /**
   * What it holds can go at exit (drainAtExit): no send on the wire or waiting to retry, and no
   * queue that only the event loop can send (a custom exporter's function). The end of the process
   * then needs no turn of the loop for it. Absent: holds nothing (as if true).
   */
  readonly readyForExit?: boolean;
  /**
   * Stops waiting on a shutdown or flush past its deadline: closes the exporter, drops what is queued,
   * settles every flush; returns the spans not delivered (queued, and a send still under way), for the
   * caller to say (their cause: lastFailure, else no answer in time); the losses before them it says itself.
   */
  abandon?(): number;
}
