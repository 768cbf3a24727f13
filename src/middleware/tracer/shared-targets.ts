// Tracers in one process that export to the same backend: each span goes to it once. Under the
// preload every tracer keeps a copy of the preload's server span (and its outbound client spans),
// and two tracers shipping to one collector had sent each of them twice.
import type { Span } from '../../core/wire-format.ts';
import type { ExitDrain, SpanExporter } from '../../plugin/runtime/exporters/span-exporter.ts';

/** Span ids remembered per backend (oldest forgotten first): far more than are in flight between two tracers. */
const REMEMBERED = 8192;

/** By target (exporterTarget: type and the URL posted to), the span ids handed to it, each with the tracer that did. */
const sent = new Map<string, Map<string, object>>();

/** Whether no tracer but `owner` has handed `spanId` to `target` (one tracer's own exporters are its own business). */
function firstTime(target: string, spanId: string, owner: object): boolean {
  let ids = sent.get(target);
  if (ids === undefined) sent.set(target, (ids = new Map()));
  const by = ids.get(spanId);
  if (by !== undefined) return by === owner;
  ids.set(spanId, owner);
  if (ids.size > REMEMBERED) ids.delete(ids.keys().next().value!);
  return true;
}

/**
 * `exporter` of the tracer `owner`, passing on only the spans no other tracer in the process has
 * handed to `target` yet.
 *
 * @example
 * const deduped = sharedTarget('otlp http://collector:4318/v1/traces', createOtlpExporter(options), tracer);
 */
export function sharedTarget(target: string, exporter: SpanExporter, owner: object): SpanExporter {
  return {
    name: exporter.name,
    export(spans: readonly Span[]): void {
      const fresh = spans.filter((span) => firstTime(target, span.spanId, owner));
      if (fresh.length > 0) exporter.export(fresh);
    },
    flush: () => exporter.flush(),
    shutdown: () => exporter.shutdown(),
    get dropped(): number {
      return exporter.dropped;
    },
    get readyForExit(): boolean {
      return exporter.readyForExit ?? true;
    },
    // What close() and the exit name as the cause of spans given up (was lost here: "no send succeeded in time").
    get lastFailure(): string | undefined {
      return exporter.lastFailure;
    },
    ...(exporter.drainAtExit && { drainAtExit: (until?: number): ExitDrain => exporter.drainAtExit!(until) }),
    ...(exporter.abandon && { abandon: (): number => exporter.abandon!() }),
  };
}
