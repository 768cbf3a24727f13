// The `console` exporter, for development: one readable line per span.
import { visibleInLine } from '../../../core/invisible-text.ts';
import type { Span } from '../../../core/wire-format.ts';
import { BatchingSpanExporter, type BatchingOptions } from './batching-span-exporter.ts';

export interface ConsoleExporterOptions extends BatchingOptions {
  /** Where lines go (default console.log). */
  write?: (line: string) => void;
}

/** `bun-apm: span GET /users/:id server 12.3 ms ok trace=… span=… parent=… {"http.method":"GET"}` */
export function formatSpanLine(span: Span): string {
  const status = span.status === 'error' && span.error ? `error (${span.error})` : span.status;
  const parent = span.parentSpanId ? ` parent=${span.parentSpanId}` : '';
  const logs = span.logs.length > 0 ? ` logs=${JSON.stringify(span.logs)}` : '';
  // One line whatever the app named its spans: a name's or an error's ESC, CR or LF had coloured the
  // terminal and broken the line (a review); JSON escapes the tags' and logs' own.
  return visibleInLine(`bun-apm: span ${span.name} ${span.kind} ${span.duration.toFixed(1)} ms ${status} trace=${span.traceId} span=${span.spanId}${parent} ${JSON.stringify(span.tags)}${logs}`);
}

/**
 * Batches like the others, with a 1 s default delay so lines show up while you watch.
 *
 * @example
 * const exporter = createConsoleExporter();
 */
export function createConsoleExporter(options: ConsoleExporterOptions = {}): BatchingSpanExporter {
  const write = options.write ?? ((line: string) => console.log(line));
  return new BatchingSpanExporter(
    'console',
    async (batch) => {
      for (const span of batch) write(formatSpanLine(span));
      return { ok: true };
    },
    { ...options, scheduledDelayMs: options.scheduledDelayMs ?? 1000 },
    // Written on the spot at exit too: writing is synchronous.
    (batch) => {
      for (const span of batch) write(formatSpanLine(span));
      return true;
    },
  );
}
