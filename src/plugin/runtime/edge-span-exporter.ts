// The `edge` trace exporter: spans travel to the bun-apm Worker inside the preload's batches.
import type { Span } from '../../core/wire-format.ts';
import type { Batcher } from './batcher.ts';
import type { SpanExporter } from './exporters/span-exporter.ts';

export function createEdgeSpanExporter(batcher: Batcher): SpanExporter {
  let closed = false;
  return {
    name: 'edge',
    export(spans: readonly Span[]): void {
      if (!closed) batcher.addSpans(spans);
    },
    flush(): Promise<void> {
      return batcher.flush();
    },
    async shutdown(): Promise<void> {
      if (closed) return;
      closed = true;
      await batcher.flush();
    },
    get dropped(): number {
      return batcher.droppedTotal.spans;
    },
  };
}
