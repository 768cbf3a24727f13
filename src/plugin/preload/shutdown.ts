// The final flush, and then the exit the app would have had without us. Three ways out:
// - SIGINT/SIGTERM that the app does not handle: flush, then re-raise the signal so the process
//   dies of it as before (exit status and signal unchanged).
// - beforeExit (the event loop ran dry): flush; the process then ends as it would have.
// - exit (process.exit(), or after beforeExit): synchronous; the edge batches go out through a
//   child process the exiting process waits for. A signal the app handles ends up here too.
// The edge flush gets at most `budgetMs` (2 s) in each case.
import type { Batcher } from '../runtime/batcher.ts';
import type { EdgeTarget } from '../runtime/edge-sender.ts';
import type { SpanExporter } from '../runtime/exporters/span-exporter.ts';
import { sendSync } from './final-send.ts';
import type { Log } from '../runtime/log.ts';
import { sleep } from '../runtime/send-with-retry.ts';

export interface ShutdownOptions {
  batcher: Batcher;
  /** The edge, when an endpoint is configured. */
  target?: EdgeTarget;
  /** Trace exporters other than the edge; flushed where the event loop still runs. */
  exporters?: SpanExporter;
  /** Stops the profiler and other timers. */
  stopTimers: () => void;
  log: Log;
  budgetMs?: number;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Installs the listeners; returns the function that removes them. */
export function installShutdown(options: ShutdownOptions): () => void {
  const budget = options.budgetMs ?? 2000;
  let flushed = false;
  let dying = false;

  /** Cuts the last batch and ships the whole queue synchronously; runs once. */
  const flushEdge = () => {
    if (flushed) return;
    flushed = true;
    options.stopTimers();
    options.batcher.stop();
    options.batcher.cut();
    if (!options.target) return;
    const pending = options.batcher.sealAll();
    if (pending.length === 0) return;
    const sent = sendSync(options.target, pending, budget);
    const conditional = pending.some((batch) => batch.ifAccepted !== undefined) ? ' (the last one sent only if the edge takes its count)' : '';
    options.log.debug(`final flush: ${sent} of ${pending.length} batch(es) accepted${conditional}`);
  };

  const flushExporters = async () => {
    if (!options.exporters) return;
    await Promise.race([options.exporters.shutdown(), sleep(budget)]);
  };

  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    // Someone else listens: the app decides what this signal means, and its exit will come through 'exit'.
    if (process.listenerCount(signal) > 1) return;
    if (dying) return reraise(signal);
    dying = true;
    try {
      flushEdge();
    } catch (error) {
      options.log.warnOnce('final', `final flush failed (${(error as Error).message})`);
    }
    void flushExporters().finally(() => reraise(signal));
  };
  const listeners = new Map(SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const));

  const reraise = (signal: (typeof SIGNALS)[number]) => {
    remove();
    process.kill(process.pid, signal); // no listener left: the default action, death by this signal
  };

  const onBeforeExit = () => {
    if (flushed) return;
    try {
      flushEdge();
    } catch (error) {
      options.log.warnOnce('final', `final flush failed (${(error as Error).message})`);
    }
    void flushExporters();
  };

  const onExit = () => {
    try {
      flushEdge();
    } catch {
      // the process is going; nothing more to do
    }
  };

  for (const [signal, listener] of listeners) process.on(signal, listener);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);

  function remove(): void {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('exit', onExit);
  }
  return remove;
}
