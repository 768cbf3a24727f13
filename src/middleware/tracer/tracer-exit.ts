// The RequestTracers' exporters at the end of a process without the preload, whose shutdown does this
// for them: flushed once when the event loop runs dry; at exit (process.exit(), or after that flush)
// what they still hold goes synchronously through the short child process the preload's exit uses,
// within 2 s, and what does not get through is counted in one stderr line. Without it, spans queued
// at the end were lost without a word (a review). The monitors' storages have the same (exit-storages.ts).
import { EXIT_BUDGET_MS, EXIT_ENCODE_SHARE, settlesWithin } from '../../plugin/runtime/exit-budget.ts';
import { exportLossLine } from '../../plugin/runtime/export-loss.ts';
import { sendSync } from '../../plugin/runtime/final-send.ts';
import { preloadEnds } from '../../plugin/runtime/exit-storages.ts';
import { combineSpanExporters } from '../../plugin/runtime/exporters/combine-span-exporters.ts';
import type { SpanExporter } from '../../plugin/runtime/exporters/span-exporter.ts';
import { tracerExporters } from '../../plugin/runtime/exporters/tracer-exporters.ts';
import type { Log } from '../../plugin/runtime/log.ts';
import { slot } from '../../plugin/runtime/registry.ts';


const state = slot('tracerExit', () => ({ installed: false, flushedAtEnd: false }));

/** Installs the two listeners once per process; `log` says the loss. Harmless under the preload, which takes the end. */
export function installTracerExit(log: Log): void {
  if (state.installed) return;
  state.installed = true;
  process.on('beforeExit', () => {
    // Once: a flush with nothing to send schedules nothing, and beforeExit would come round again and again.
    if (preloadEnds() || state.flushedAtEnd || tracerExporters().length === 0) return;
    state.flushedAtEnd = true;
    void flushWithin(combineSpanExporters(tracerExporters()), log);
  });
  process.on('exit', () => {
    if (preloadEnds() || tracerExporters().length === 0) return;
    try {
      const started = performance.now();
      const drain = combineSpanExporters(tracerExporters()).drainAtExit?.(started + EXIT_BUDGET_MS * EXIT_ENCODE_SHARE);
      if (drain === undefined) return;
      const exported = drain.requests.length > 0 ? sendSync(undefined, [], { deadline: started + EXIT_BUDGET_MS, exports: drain.requests }).exported : undefined;
      const line = exportLossLine(drain, exported, EXIT_BUDGET_MS);
      if (line !== undefined) log.warnOnce('tracer-exit-spans', line);
    } catch {
      // the end of the process must not fail on monitoring
    }
  });
}

/**
 * The flush at the end of the loop, EXIT_BUDGET_MS at most: a collector that never answers had held the
 * process for the request's whole timeout (12 s where the script was done in 50 ms; a review). Past
 * it, the exporters give up what they hold (the request on the wire aborted), counted in one line.
 */
async function flushWithin(exporter: SpanExporter, log: Log): Promise<void> {
  if (await settlesWithin(exporter.flush(), EXIT_BUDGET_MS)) return;
  const lost = exporter.abandon?.() ?? 0;
  if (lost > 0) log.warnOnce('tracer-exit-spans', `at exit, ${lost} span(s) of the trace exporters not delivered within ${EXIT_BUDGET_MS} ms (${exporter.lastFailure ?? 'no answer in time'}); given up`);
}
