// Several exporters behind one SpanExporter, so a tracer hands each finished span over once.
import type { Span } from '../../../core/wire-format.ts';
import type { ExitDrain, SpanExporter } from './span-exporter.ts';

/**
 * @example
 * const exporter = combineSpanExporters(createSpanExporters(options.exporters, { serviceName }));
 * exporter.export([span]);
 */
export function combineSpanExporters(exporters: readonly SpanExporter[]): SpanExporter {
  const all = [...exporters];
  return {
    name: all.map((exporter) => exporter.name).join('+') || 'none',
    export(spans: readonly Span[]): void {
      // Each exporter promises not to throw; the guard keeps one that breaks it from starving the rest.
      for (const exporter of all) {
        try {
          exporter.export(spans);
        } catch {
          // That exporter broke its never-throw promise; the others still get the spans.
        }
      }
    },
    async flush(): Promise<void> {
      await Promise.allSettled(all.map((exporter) => exporter.flush()));
    },
    async shutdown(): Promise<void> {
      await Promise.allSettled(all.map((exporter) => exporter.shutdown()));
    },
    drainAtExit(until?: number): ExitDrain {
      const drain = emptyDrain();
      for (const exporter of all) {
        try {
          addDrain(drain, exporter.drainAtExit?.(until));
        } catch {
          // An exporter that breaks its never-throw promise loses its spans, not the others'.
        }
      }
      return drain;
    },
    abandon(): number {
      return all.reduce((sum, exporter) => sum + (exporter.abandon?.() ?? 0), 0);
    },
    get dropped(): number {
      return all.reduce((sum, exporter) => sum + exporter.dropped, 0);
    },
    get readyForExit(): boolean {
      return all.every((exporter) => exporter.readyForExit ?? true);
    },
    get lastFailure(): string | undefined {
      const failures = all.map((exporter) => exporter.lastFailure).filter((failure) => failure !== undefined);
      return failures.length > 0 ? failures.join('; ') : undefined;
    },
  };
}

/** A drain with nothing in it yet. */
export function emptyDrain(): ExitDrain {
  return { requests: [], unsent: 0, inFlight: 0, outOfTime: 0 };
}

/** Adds `one` (an exporter's drain) into `all`. */
function addDrain(all: ExitDrain, one: ExitDrain | undefined): void {
  if (one === undefined) return;
  all.requests.push(...one.requests);
  all.unsent += one.unsent;
  all.inFlight += one.inFlight;
  all.outOfTime += one.outOfTime;
}
