// Where a RequestTracer's spans go: its exporters, those the preload already ships to left out of a
// trace the preload records, the `edge` one left out of a trace it does not, each backend's spans
// once across tracers, the exporters registered with the preload's shutdown, and a close() that
// holds the process no longer than its bound.
import type { Span } from '../../core/wire-format.ts';
import { combineSpanExporters, createSpanExporters, exporterTarget, type SpanExporter } from '../../plugin/runtime/exporters/index.ts';
import { registerTracerExporter } from '../../plugin/runtime/exporters/tracer-exporters.ts';
import { settlesWithin } from '../../plugin/runtime/exit-budget.ts';
import type { Log } from '../../plugin/runtime/log.ts';
import type { Recorder } from '../../plugin/runtime/recorder.ts';
import { createPreloadExporter } from './preload-exporter.ts';
import { sharedTarget } from './shared-targets.ts';
import type { TracingOptions } from './tracer-options.ts';

export interface TracerShipping {
  /** Every exporter of the tracer's. */
  all: SpanExporter | undefined;
  /**
   * For a trace the preload records (and ships): the exporters less those it ships to already (the
   * `edge` one is the preload itself; one of the same type and URL would get each span twice).
   */
  own: SpanExporter | undefined;
  /**
   * For a trace of the tracer's own, which the preload does not ship (its trace budget refused it, or
   * there is no preload): every exporter but `edge`, which would have shipped it past that budget.
   */
  unshipped: SpanExporter | undefined;
  /** The tracer's own traces go to the edge: it has no exporters (the preload's are its), or an `edge` one. */
  toEdge: boolean;
  /** Leaves the preload's span stream and its shutdown's list of exporters. */
  unhook(): void;
}

/**
 * Builds the tracer's exporters (throws on a bad entry). `joined`: the spans the preload records
 * (outbound fetch's client spans), offered to the tracer while it has exporters of its own.
 */
export function tracerShipping(options: TracingOptions, serviceName: string, log: Log, preload: Recorder | undefined, joined: (span: Span) => void): TracerShipping {
  const configs = options.exporters ?? [];
  const created = createSpanExporters(configs, {
    serviceName,
    log: (line) => log.info(line), // each exporter warns once per kind of trouble
    edge: preload ? () => createPreloadExporter(preload) : undefined,
  });
  const targets = configs.map((config) => exporterTarget(config));
  // A backend another tracer in the process ships to gets each span once (a custom function or the console: no known place).
  const owner = {};
  const exporters = created.map((exporter, i) => (targets[i] === undefined || targets[i] === 'edge' || targets[i] === 'console' ? exporter : sharedTarget(targets[i]!, exporter, owner)));
  const all = exporters.length > 0 ? combineSpanExporters(exporters) : undefined;
  const shipped = preload?.exportTargets ?? new Set<string>(['edge']);
  const mine = exporters.filter((_, i) => targets[i] !== 'edge' && (targets[i] === undefined || !shipped.has(targets[i]!)));
  /** Some of the exporters as one: `all` when they are all, none when empty. */
  const combined = (some: SpanExporter[]) => (some.length === exporters.length ? all : some.length > 0 ? combineSpanExporters(some) : undefined);
  const own = combined(mine);
  const unshipped = combined(exporters.filter((_, i) => targets[i] !== 'edge'));
  const unhooks: Array<() => void> = [];
  // The preload's shutdown flushes them with its own (a signal, the end of the loop, process.exit()).
  const shipping = exporters.filter((_, i) => configs[i]!.type !== 'edge');
  if (shipping.length > 0) unhooks.push(registerTracerExporter(combineSpanExporters(shipping)));
  if (preload !== undefined && unshipped !== undefined && typeof preload.observeSpans === 'function') unhooks.push(preload.observeSpans(joined));
  if (preload !== undefined) sayDeduplicated(options, exporters.length - mine.length, preload.exportService, log);
  return { all, own, unshipped, toEdge: configs.length === 0 || targets.includes('edge'), unhook: () => void unhooks.splice(0).forEach((unhook) => unhook()) };
}

/**
 * Exporters left out because the preload ships to the same place get this trace's spans under the
 * preload's service name, not `serviceName`: said once, rather than two names for one process's
 * spans in one backend (a span sent under both would be a duplicate) or the tracer's name lost silently.
 */
function sayDeduplicated(options: TracingOptions, left: number, preloadService: string | undefined, log: Log): void {
  const name = options.serviceName;
  if (left === 0 || name === undefined || preloadService === undefined || name === preloadService) return;
  log.warnOnce(
    'tracer-dedupe',
    `requestTracer: serviceName ${JSON.stringify(name)} is not used for ${left} exporter(s) the preload already ships to: their spans go once, under the preload's service ${JSON.stringify(preloadService)}; set BUN_APM_SERVICE=${name} to name the process's spans ${JSON.stringify(name)}`,
  );
}

/**
 * Runs `closing` (flush, then shut the exporters down) for `timeoutMs` at most, holding the process
 * open meanwhile; past it, `giveUp` (the timers stopped, what the exporters hold abandoned and their
 * sends aborted) and one warning counting the spans not delivered.
 */
export async function closeWithin(closing: Promise<void>, timeoutMs: number, giveUp: () => { lost: number; cause?: string | undefined }, log: Log): Promise<void> {
  // Held open meanwhile: a retry's wait is all that is left with the collector down, and the process
  // had ended inside `await close()`, skipping whatever the app does after it.
  if (await settlesWithin(closing, timeoutMs)) return;
  const { lost, cause } = giveUp();
  if (lost > 0) log.warnOnce('close-lost', `requestTracer.close(): ${lost} span(s) not delivered within ${timeoutMs} ms (${cause ?? 'no send of theirs succeeded in time'}); given up`);
}
