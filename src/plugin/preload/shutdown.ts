// The final flush, and then the exit the app would have had without us. The ways out:
// - SIGINT/SIGTERM/SIGHUP that the app does not handle: flush, then re-raise the signal so the
//   process dies of it as before (exit status and signal unchanged).
// - A signal the app handles: flush now, and stop listening to it, so that a re-raise meets the
//   default action; what is recorded after goes at beforeExit or exit.
// - The app stops its last server: sends in flight are aborted, since Bun's fetch would
//   hold the finished process open until its timeout; what they carried goes at beforeExit.
// - beforeExit (the event loop ran dry): flush; the process then ends as it would have.
// - exit (process.exit(), or after beforeExit): synchronous; the edge batches go out through a child
//   process the exiting process waits for.
// Each way out has one deadline, `budgetMs` (2 s), for the edge and the trace exporters together,
// and an edge that ran out one is not waited for again at the next (beforeExit after a signal).
import type { Batcher } from '../runtime/batcher.ts';
import type { EdgeTarget } from '../runtime/edge-sender.ts';
import type { SpanExporter } from '../runtime/exporters/span-exporter.ts';
import { sendSync } from './final-send.ts';
import type { Log } from '../runtime/log.ts';
import { haltExports, resumeExports, sleep } from '../runtime/send-with-retry.ts';

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

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

/** Installs the listeners; returns the function that removes them. */
export function installShutdown(options: ShutdownOptions): () => void {
  const budget = options.budgetMs ?? 2000;
  let ended = false;
  let dying = false;
  let exportersDone: Promise<void> | undefined;
  /** An edge that let a final flush run out the budget is not waited for again until then: one stop, one budget. */
  let stalledUntil = 0;

  /** Cuts and ships what is pending synchronously, within the budget; `end` stops the batcher for good first. */
  const flushEdge = (end: boolean) => {
    try {
      if (end && !ended) {
        ended = true;
        options.stopTimers();
        options.batcher.stop();
      }
      options.batcher.cut();
      if (!options.target) return;
      const pending = options.batcher.sealAll();
      if (pending.length === 0 || Date.now() < stalledUntil) return;
      const started = Date.now();
      const sent = sendSync(options.target, pending, budget);
      if (Date.now() - started >= budget) stalledUntil = Date.now() + 5 * budget;
      const conditional = pending.some((batch) => batch.ifAccepted !== undefined) ? ' (the last one sent only if the edge takes its count)' : '';
      options.log.debug(`final flush: ${sent} of ${pending.length} batch(es) accepted${conditional}`);
    } catch (error) {
      options.log.warnOnce('final', `final flush failed (${(error as Error).message})`);
    }
  };

  /** Started before the edge's synchronous send, so the exporters' requests are under way meanwhile. */
  const shutdownExporters = () => (exportersDone ??= options.exporters?.shutdown() ?? Promise.resolve());
  const until = (deadline: number, work: Promise<void>) => Promise.race([work, sleep(Math.max(0, deadline - Date.now()))]);

  const onSignal = (signal: Signal) => {
    if (process.listenerCount(signal) > 1) {
      // The app decides what this signal means, and may raise it again after its cleanup.
      process.removeListener(signal, listeners.get(signal)!);
      flushEdge(false);
      void options.exporters?.flush();
      return;
    }
    if (dying) return reraise(signal);
    dying = true;
    const deadline = Date.now() + budget;
    const exporters = shutdownExporters();
    flushEdge(true);
    void until(deadline, exporters).finally(() => reraise(signal));
  };
  const listeners = new Map(SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const));

  const reraise = (signal: Signal) => {
    remove();
    process.kill(process.pid, signal); // no listener left: the default action, death by this signal
  };

  const onBeforeExit = () => {
    if (ended) return;
    const deadline = Date.now() + budget;
    // Halted when the last server stopped: the exporters' last sends go out, until the deadline.
    resumeExports();
    const exporters = shutdownExporters();
    flushEdge(true);
    // Past the deadline their requests must not hold the event loop open.
    void until(deadline, exporters).finally(haltExports);
  };

  const onExit = () => flushEdge(true);

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

/** What the preload is told of the app's servers (instrument-serve.ts patches each one's stop()). */
export interface ServerWatch {
  started(): void;
  stopped(): void;
}

/**
 * Once the app has stopped every server it started, sends in flight are aborted: Bun's fetch would
 * hold the finished process open until its timeout. A server started again resumes them.
 */
export function serverWatch(): ServerWatch {
  let serving = 0;
  return {
    started: () => void (serving++ === 0 && resumeExports()),
    stopped: () => void (--serving === 0 && haltExports()),
  };
}
