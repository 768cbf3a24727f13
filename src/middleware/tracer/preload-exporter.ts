// The tracer's `edge` exporter: with the preload in the process, spans join the preload's own
// (which ship to the bun-apm Worker, and to the preload's other exporters, on its schedule).
import type { Span } from '../../core/wire-format.ts';
import type { SpanExporter } from '../../plugin/runtime/exporters/span-exporter.ts';
import type { Recorder } from '../../plugin/runtime/recorder.ts';

export function createPreloadExporter(recorder: Recorder): SpanExporter {
  let closed = false;
  return {
    name: 'edge',
    export(spans: readonly Span[]): void {
      if (closed) return;
      for (const span of spans) recorder.recordSpan(span);
    },
    // The preload's batcher sends on its interval and at exit; nothing is held here.
    flush: async () => {},
    shutdown: async () => {
      closed = true;
    },
    dropped: 0,
  };
}
