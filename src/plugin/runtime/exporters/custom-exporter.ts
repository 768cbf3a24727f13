// The `custom` exporter: batches handed to the user's `customExporter(spans)`; its failures and
// time-outs are logged and counted, never thrown.
import type { Span } from '../../../core/wire-format.ts';
import { BatchingSpanExporter, type BatchingOptions, type DeliveryResult } from './batching-span-exporter.ts';
import { unref } from '../unref.ts';
import { quoteThrown } from '../quote-thrown.ts';

export type CustomExportFunction = (spans: Span[]) => void | Promise<void>;

export interface CustomExporterOptions extends BatchingOptions {
  customExporter: CustomExportFunction;
  /** How long one call may take before its batch is given up, ms (default 30 000). */
  exportTimeoutMs?: number;
}

async function callWithTimeout(fn: CustomExportFunction, batch: Span[], timeoutMs: number): Promise<DeliveryResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<DeliveryResult>((resolve) => {
    timer = unref(setTimeout(() => resolve({ ok: false, reason: `customExporter did not settle within ${timeoutMs} ms` }), timeoutMs));
  });
  const called = (async (): Promise<DeliveryResult> => {
    try {
      await fn(batch);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `customExporter threw ${quoteThrown(error)}` };
    }
  })();
  try {
    // A call that never settles would otherwise hold the one in-flight slot, and flush(), forever.
    return await Promise.race([called, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example
 * const exporter = createCustomExporter({ customExporter: async (spans) => { await db.insert(spans) } });
 */
export function createCustomExporter(options: CustomExporterOptions): BatchingSpanExporter {
  const timeoutMs = options.exportTimeoutMs ?? 30_000;
  return new BatchingSpanExporter('custom', (batch) => callWithTimeout(options.customExporter, batch, timeoutMs), options);
}
