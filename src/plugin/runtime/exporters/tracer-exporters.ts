// The RequestTracers' exporters, process-wide: the preload's shutdown flushes them with its own
// (on a signal, at the end of the event loop and on process.exit()), within the same budget.
import { slot } from '../registry.ts';
import type { SpanExporter } from './span-exporter.ts';

const exporters = slot('tracerExporters', (): Set<SpanExporter> => new Set());

/** A tracer's exporters, from its creation until its close(). */
export function registerTracerExporter(exporter: SpanExporter): () => void {
  exporters.add(exporter);
  return () => void exporters.delete(exporter);
}

/** The tracers' exporters alive now. */
export function tracerExporters(): SpanExporter[] {
  return [...exporters];
}
