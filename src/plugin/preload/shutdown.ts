// The final flush, and then the exit the app would have had without us. The ways out:
// - SIGINT/SIGTERM/SIGHUP that the app does not handle: flush, then re-raise the signal so the
//   process dies of it as before (exit status and signal unchanged). A signal the process was
//   started ignoring is left alone.
// - A signal the app handles is the app's: monitoring goes on (a reload), and its exit comes
//   through the other ways, or as a re-raise that bun-apm alone hears (then as above).
// - The app stops its last server: sends in flight are aborted, since Bun's fetch would
//   hold the finished process open until its timeout; what they carried goes at beforeExit.
// - beforeExit (the event loop ran dry): flush; the process then ends as it would have.
// - exit (process.exit(), or after beforeExit): synchronous; the edge batches, and the requests the
//   trace exporters' queued spans make (each in its own format, to its own URL), go out through a
//   child process the exiting process waits for.
// Each way out has one deadline, `budgetMs` (2 s), for the edge and the trace exporters together,
// and an edge that ran out one is not waited for again at the next (beforeExit after a signal).
// The trace exporters are the preload's and those of every RequestTracer alive in the process;
// spans they could not deliver by the deadline are counted in one stderr line.
// The PerformanceMonitors' file and custom storages (exit-storages.ts) are flushed beside the trace
// exporters, within the same budget; at exit file storage writes synchronously, and the records a
// custom handler was not given (it cannot run then) are counted in one stderr line.
import type { Batcher } from '../runtime/batcher.ts';
import type { EdgeTarget } from '../runtime/edge-sender.ts';
import type { ExitDrain, SpanExporter } from '../runtime/exporters/span-exporter.ts';
import { tracerExporters } from '../runtime/exporters/tracer-exporters.ts';
import { EXIT_BUDGET_MS, EXIT_ENCODE_SHARE } from '../runtime/exit-budget.ts';
import { exportLossLine } from '../runtime/export-loss.ts';
import { flushExitStorages, leftAtExit, setPreloadEnds, unfinishedInExitStorages, writeExitStorages } from '../runtime/exit-storages.ts';
import type { ExportedSpans } from '../runtime/final-send-child.ts';
import type { PendingBatch } from '../runtime/pending-data.ts';
import { sendSync, type FinalBatch, type FinalOutcome } from '../runtime/final-send.ts';
import type { Log } from '../runtime/log.ts';
import { haltExports, lastCallExports, resumeExports, sleep } from '../runtime/send-with-retry.ts';
import { combineSpanExporters } from '../runtime/exporters/combine-span-exporters.ts';

export interface ShutdownOptions {
  batcher: Batcher;
  /** The edge, when an endpoint is configured. */
  target?: EdgeTarget;
  /** Trace exporters other than the edge (RequestTracers' are found in the registry): flushed where the event loop still runs, drained at exit. */
  exporters?: SpanExporter;
  /** Stops the profiler and other timers. */
  stopTimers: () => void;
  /** Ends the failed requests no error handler has answered (one may have called process.exit). */
  settleFailures?: () => void;
  /** Requests begun and not ended (Recorder.inFlight): at the end those are cut off, and said to be. */
  inFlight?: () => number;
  log: Log;
  budgetMs?: number;
}

/**
 * The part of the budget the exit may spend sealing detail (re-encoding and gzip, on the app's
 * thread): the counts come first and are cheap; detail not sealed by then is dropped and counted,
 * and the rest of the budget is the child's start and the sends.
 */
const SEAL_SHARE = 0.1;

/**
 * A sealed batch as the final send takes it: what it holds is reported as dropped if it does not get
 * through. `tried`: sent before, so sent like the counts (at once, never reported lost while awaited).
 */
function finalBatch(batch: PendingBatch, tried: boolean): FinalBatch {
  const { parentTraces: _addition, ...lost } = batch.contents;
  for (const [name, n] of Object.entries(batch.carried)) if (name !== 'parentTraces') lost[name as keyof typeof lost] += n;
  return { body: batch.body, ifAccepted: batch.ifAccepted, lost, detail: !tried && batch.contents.rollups === 0 && batch.contents.samples + batch.contents.spans + batch.contents.profiles > 0 };
}

/** Why what was lost at exit could not be reported: the edge refused (its status; never its words, which may quote a key), or said nothing. */
function whyUnreported(outcome: FinalOutcome): string {
  if (outcome.refusedStatus !== undefined && outcome.refusedStatus < 300) return `HTTP ${outcome.refusedStatus} answers that were not a bun-apm edge's (is BUN_APM_ENDPOINT the edge's URL?)`;
  if (outcome.refusedStatus !== undefined) return `the edge refused them: HTTP ${outcome.refusedStatus}`;
  return outcome.answered ? 'no time was left for the report' : 'the edge did not answer';
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Signal = (typeof SIGNALS)[number];

/**
 * The app's own listeners of a signal: not bun-apm's, nor signal-exit's (execa, ink and many more
 * load it), which re-raises only once it is alone as bun-apm does; counted as the app's, each had
 * waited for the other and the app could not be stopped.
 */
function appListeners(signal: Signal): number {
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')]?.count;
  const v3 = (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__?.count;
  const signalExit = (typeof v4 === 'number' ? v4 : 0) + (typeof v3 === 'number' ? v3 : 0);
  return process.listenerCount(signal) - 1 - signalExit;
}

/** How often counts go once a PID 1 has been told to stop (see asInit), and for how long: a runtime's grace before its SIGKILL is 10 s (Docker) or 30 s (Kubernetes). */
const INIT_FLUSH_MS = 1000;
const INIT_HURRY_MS = 60_000;

/** This process is its PID namespace's init: a container's first process. */
function isInit(): boolean {
  return process.pid === 1;
}

/** The same on Linux and macOS; node:os, loaded for them, would stay in the app's heap for good. */
const SIGNAL_NUMBERS: Record<Signal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** How long a signal the app sent itself may take to reach bun-apm's listener (a turn or two of the loop). */
const SIGNAL_WAIT_MS = 1000;

/** One of bun-apm's signals, as process.kill takes it (a name, a number, or none: SIGTERM). */
function signalOf(signal: string | number | undefined): Signal | undefined {
  if (signal === undefined) return 'SIGTERM';
  if (typeof signal === 'number') return SIGNALS.find((name) => SIGNAL_NUMBERS[name] === signal);
  return SIGNALS.find((name) => name === signal);
}

/** The signals this process was started ignoring (Linux: SigIgn of /proc/self/status; elsewhere none known). */
async function ignoredSignals(): Promise<Set<Signal>> {
  if (process.platform !== 'linux') return new Set();
  const status = await Bun.file('/proc/self/status').text().catch(() => '');
  const mask = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  return new Set(SIGNALS.filter((signal) => (mask >> BigInt(SIGNAL_NUMBERS[signal] - 1)) & 1n));
}

/** Installs the listeners; returns the function that removes them. */
export function installShutdown(options: ShutdownOptions): () => void {
  const budget = options.budgetMs ?? EXIT_BUDGET_MS;
  let ended = false;
  let dying: Signal | undefined;
  let exportersDone: Promise<void> | undefined;
  /** An edge that let a final flush run out the budget is not waited for again until then: one stop, one budget. */
  let stalledUntil = 0;

  /** The preload's trace exporters and the tracers'. */
  const allExporters = (): SpanExporter => combineSpanExporters(options.exporters ? [options.exporters, ...tracerExporters()] : tracerExporters());

  /** One line for the trace exporters' spans that did not get through at exit; nothing when all did. */
  const reportExports = (drain: ExitDrain | undefined, exported: ExportedSpans | undefined) => {
    if (drain === undefined) return;
    const given = drain.requests.reduce((sum, request) => sum + request.spans, 0);
    if (given > 0) options.log.debug(`final flush: ${exported?.sent ?? 0} of ${given} trace exporter span(s) accepted`);
    const line = exportLossLine(drain, exported, budget);
    if (line !== undefined) options.log.warnOnce('exit-spans', line);
  };

  /**
   * Stops the batcher for good, then cuts and ships what is pending synchronously, within the budget,
   * with the trace exporters' requests of `drain` (at exit) beside the edge's batches.
   */
  const flushEdge = (drain?: ExitDrain, started = performance.now()) => {
    let exported: ExportedSpans | undefined;
    try {
      if (!ended) {
        ended = true;
        options.stopTimers();
        options.batcher.stop();
      }
      options.settleFailures?.();
      options.batcher.cut();
      const exports = drain?.requests ?? [];
      const edge = options.target !== undefined && performance.now() >= stalledUntil;
      if (!edge && exports.length === 0) return;
      // Sealing and sending within the one budget; the app's Date.now() may be faked or stepped.
      const deadline = started + budget;
      const { batches, report, triedFirst } = edge ? options.batcher.sealAll(budget * SEAL_SHARE) : { batches: [], report: undefined, triedFirst: false };
      if (batches.length === 0 && exports.length === 0) return;
      const sealed = performance.now();
      const outcome = sendSync(edge ? options.target : undefined, batches.map((batch, i) => finalBatch(batch, i === 0 && triedFirst)), { deadline, report, exports });
      exported = outcome.exported;
      if (batches.length === 0) return;
      // An edge that ran out the budget, or left a batch unanswered within it (the child gives up
      // just before the deadline), is not waited for again at the next way out: one stop, one
      // budget (it had cost two: a review). One that answered, if only to refuse, is asked again.
      if (performance.now() >= deadline || Object.values(outcome.unanswered).some((n) => n! > 0)) stalledUntil = performance.now() + 5 * budget;
      const conditional = batches.some((batch) => batch.ifAccepted !== undefined) ? ' (one sent only if the edge takes its count)' : '';
      const listed = (counters: Partial<Record<string, number>>) => Object.entries(counters).filter(([, n]) => n! > 0).map(([name, n]) => `${n} ${n === 1 ? name.replace(/s$/, '') : name}`).join(', ');
      const lost = listed(outcome.lost);
      const missing = lost === '' ? '' : `; not sent: ${lost} (${outcome.reported ? 'reported to the edge as dropped' : 'not reported'})`;
      const awaited = listed(outcome.unanswered);
      const unanswered = awaited === '' ? '' : `; sent, unanswered by the deadline (the edge may have them): ${awaited}`;
      options.log.debug(`final flush: ${outcome.sent} of ${batches.length} batch(es) accepted${conditional} in ${Math.round(performance.now() - started)} ms (${Math.round(sealed - started)} ms sealing)${missing}${unanswered}`);
      // Not only in debug: an operator must hear that request counts were lost at exit (the edge unreachable, or too slow); detail alone is the debug line's.
      if ((outcome.unanswered.requests ?? 0) > 0) options.log.warnOnce('exit-unanswered', `at exit, sent but not confirmed by the edge within ${budget} ms: ${awaited} (it may have them)`);
      if ((outcome.lost.requests ?? 0) > 0 || (outcome.lost.rollups ?? 0) > 0) options.log.warnOnce('exit-lost', `at exit, not sent to the edge within ${budget} ms: ${lost} (${outcome.reported ? 'reported to it as dropped' : `not reported: ${whyUnreported(outcome)}`})`);
    } catch (error) {
      options.log.warnOnce('final', `final flush failed (${(error as Error).message})`);
    } finally {
      reportExports(drain, exported);
    }
  };

  /** Started before the edge's synchronous send, so the exporters' requests are under way meanwhile. */
  const shutdownExporters = () => (exportersDone ??= allExporters().shutdown());

  /**
   * One way out's work within one budget: the exporters started, the edge flushed, then `then` once
   * the exporters finish or the deadline passes. The loop is held open until then: a server the app
   * has stopped may have been all that kept it, and a retry's wait is unref'd.
   */
  const finish = (then: () => void) => {
    const deadline = Date.now() + budget;
    let shipped = false;
    // A retry asleep (a Retry-After of minutes) would outlast the budget: woken, it tries again now, and waits only within the budget.
    lastCallExports(budget);
    const exporters = shutdownExporters().then(() => void (shipped = true));
    let stored = false;
    const storages = flushExitStorages().then(() => void (stored = true));
    flushEdge();
    const hold = setTimeout(() => {}, budget);
    void Promise.race([Promise.all([exporters, storages]), sleep(Math.max(0, deadline - Date.now()))]).finally(() => {
      clearTimeout(hold);
      // A storage.customHandler that hangs (or a file that does) does not hold the end past the budget: said, without the records.
      const unstored = stored ? 0 : unfinishedInExitStorages();
      if (unstored > 0) options.log.warnOnce('exit-storage-late', `at exit, ${unstored} performanceMonitor record(s) not written or handed on by its storage within ${budget} ms; given up`);
      // Past the deadline what the exporters still hold is given up, and said: not sent again at exit.
      if (!shipped) {
        const exporters = allExporters();
        const lost = exporters.abandon?.() ?? 0;
        // The cause as the exporters last had it (refused, an HTTP status), else the backends' silence.
        if (lost > 0) options.log.warnOnce('exit-spans', `at exit, ${lost} span(s) of the trace exporters not delivered within ${budget} ms: ${exporters.lastFailure ?? 'no send of theirs succeeded in time'}`);
      }
      then();
    });
  };

  /**
   * A signal the app sends itself once its own listener is gone (a cleanup that raises it again:
   * `process.once` then kill, signal-exit) is bun-apm's alone to hear, on a later turn of the loop;
   * Bun would run dry first and call the app's beforeExit listeners, which without bun-apm never
   * run (the signal's default action ends it at once). The loop is held until the signal comes.
   */
  let awaitedSignal: ReturnType<typeof setTimeout> | undefined;
  /** The signals bun-apm listens for: not one the process was started ignoring, which nothing would then hear. */
  const listening = new Set<Signal>();
  const processKill = process.kill;
  const killWatched = function kill(this: unknown, ...args: [pid: number, signal?: string | number]): true {
    const [pid, signal] = args;
    const result = Reflect.apply(processKill, process, args) as true;
    const sent = signalOf(signal);
    if (!removed && (pid === process.pid || pid === 0) && sent !== undefined && listening.has(sent) && appListeners(sent) <= 0) {
      clearTimeout(awaitedSignal);
      awaitedSignal = setTimeout(() => {}, SIGNAL_WAIT_MS);
    }
    return result;
  };
  process.kill = killWatched as typeof process.kill;

  const onSignal = (signal: Signal) => {
    clearTimeout(awaitedSignal);
    // The app decides what this signal means: a reload keeps running, monitored; an exit comes
    // through beforeExit or exit; a re-raise after its cleanup comes back here, bun-apm alone.
    if (appListeners(signal) > 0) return;
    if (isInit()) return asInit(signal);
    if (dying) return reraise(dying); // a second signal while the exporters finish: the first one's death
    dying = signal;
    // Halted if the app stopped its server before raising this again: the exporters' last sends go
    // out within the budget (they had been dropped as "the app has stopped serving": a review).
    resumeExports();
    finish(() => {
      haltExports();
      flushEdge(); // what the server answered while the exporters finished
      reportCutOff();
      reraise(signal);
    });
  };
  const listeners = new Map(SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const));

  /**
   * PID 1 (a container's first process: `CMD ["bun", "app.ts"]`) is not killed by a signal it has
   * no handler for: the app serves on until the runtime's SIGKILL. So it does under bun-apm (it had
   * died half a second after the flush, cutting off the requests in flight: a review), counting on;
   * counts now go every second, so the SIGKILL loses that much at most.
   */
  const asInit = (signal: Signal) => {
    // A hang-up asks no process to stop: ignored, as it would be.
    if (signal === 'SIGHUP') return;
    options.log.warnOnce('init-signal', `${signal} to PID 1, which has no handler for it: the process runs on, as without bun-apm, until it is killed (SIGKILL); counts now go every ${INIT_FLUSH_MS / 1000} s for a minute`);
    options.batcher.hurry(INIT_FLUSH_MS, INIT_HURRY_MS);
  };

  const reraise = (signal: Signal) => {
    remove();
    process.kill(process.pid, signal); // no listener left: the default action, death by this signal
    // Bun delivers it on a later turn of the loop: one more turn, then the status a shell would see.
    setTimeout(() => process.exit(128 + SIGNAL_NUMBERS[signal]), 500);
  };

  /**
   * The loop ran dry. Work that keeps it turning makes Bun emit beforeExit again, to the app's
   * listeners too: one that may run once (a pool's end()) had run two or three times, and the
   * process ended 1 (a review). So the end is synchronous, as at exit (the exporters' queued spans
   * beside the edge's batches), unless the trace exporters or a monitor's storage still have work
   * that only turns of the loop can finish (a send on the wire or waiting to retry, a custom
   * exporter's or handler's queue): then it is theirs, as an app listener's own async work turns
   * the loop again without bun-apm.
   */
  const onBeforeExit = () => {
    if (dying || ended) return;
    if (allExporters().readyForExit !== false && unfinishedInExitStorages() === 0) return onExit();
    // Halted when the last server stopped: the exporters' last sends go out, until the deadline;
    // past it their requests must not hold the event loop open.
    resumeExports();
    finish(haltExports);
  };

  /** process.exit(), or the end after beforeExit: the exporters' queued spans go with the edge's batches, through the child. */
  const onExit = () => {
    const started = performance.now();
    flushEdge(allExporters().drainAtExit?.(started + budget * EXIT_ENCODE_SHARE), started);
    reportCutOff();
    reportStorages();
  };

  /** The monitors' storages at exit: file storage's lines written now; what a custom handler could not be given, counted. */
  const reportStorages = () => {
    const left = writeExitStorages();
    if (left > 0) options.log.warnOnce('exit-storage', leftAtExit(left));
  };

  /**
   * Requests still being handled as the process ends never get an answer and are counted nowhere (no
   * status was sent): said, so that the requests a deploy cut off are not silently missing (a review).
   */
  const reportCutOff = () => {
    try {
      const cut = options.inFlight?.() ?? 0;
      if (cut > 0) options.log.warnOnce('exit-in-flight', `at exit, ${cut} request(s) still being handled were cut off unanswered: not counted (stop the server and let them finish before exiting to keep them)`);
    } catch {
      // a count that cannot be read says nothing
    }
  };

  // A signal the process was started ignoring (nohup, `trap '' INT`) stays ignored: a listener would
  // end that. Known a moment later, so put first: bun-apm must hear a signal before the app's listeners.
  let removed = false;
  void ignoredSignals().then((ignored) => {
    if (removed) return;
    for (const [signal, listener] of listeners) {
      if (ignored.has(signal)) continue;
      process.prependListener(signal, listener);
      listening.add(signal);
    }
  });
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  setPreloadEnds(true);

  function remove(): void {
    removed = true;
    clearTimeout(awaitedSignal);
    if (process.kill === killWatched) process.kill = processKill;
    setPreloadEnds(false);
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
