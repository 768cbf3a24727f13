// Ships what the recorder collects: a cut (on the flush interval, or when the rollup cells fill a
// batch) goes to custom storage as batches and into PendingData for the edge, which seals a batch
// from the oldest of what waits when it is sent; at most one export in flight; what had to be
// dropped is counted, in records and in requests, and travels in the next batch that gets through.
// Detail records are encoded a few hundred at a time as they come (a detail cut), but sent before
// the flush interval only once they fill a batch: full detail on a busy app makes a few large
// batches a second, not one per cut. An idle instance (only system profiles to report) sends once
// a heartbeat, not every flush interval.
import { fillCarriedProfiles, LIMITS, type Batch, type DetailSample, type Identity, type Span, type SystemProfile } from '../../core/wire-format.ts';
import { anyCounted, buildBatches, isEmpty, zeroCounters, type Counters, type Recorded } from '../../core/batch-builder.ts';
import { exponentialBackoff } from '../../core/retry-policy.ts';
import { errorClassOf, type Log } from './log.ts';
import { createOutageLog, type OutageLog } from './outage-log.ts';
import { quoteThrown } from './quote-thrown.ts';
import { PendingData, type FinalSeal, type PendingBatch } from './pending-data.ts';
import type { Recorder } from './recorder.ts';
import { answerOf, type EdgeSend, type SendWatch } from './edge-sender.ts';
import { unref } from './unref.ts';

export interface BatcherOptions {
  recorder: Recorder;
  identity: Identity;
  flushIntervalMs: number;
  maxPendingBytes: number;
  /** Ships one gzip'd batch (retries included); undefined = no endpoint, nothing is kept. */
  send?: EdgeSend;
  customStorage?: (batch: Batch) => void | Promise<void>;
  log: Log;
  /** Where an edge outage's start and end are said; shared with the sender (createEdgeSender), else the batcher's own. */
  outage?: OutageLog;
  /** How often an instance with nothing but system profiles to report sends (default: HEARTBEAT_MS, at least the flush interval). */
  heartbeatMs?: number;
}

/**
 * An idle instance (no request, span or loss to report, only system profiles) sends a heartbeat this
 * often rather than every flush interval: 1,440 requests a day instead of 8,640 at the default 10 s.
 */
export const HEARTBEAT_MS = 60_000;

/**
 * The longest wait after refusals in a row (a wrong key, a wrong path): a misconfigured app sends
 * a few batches an hour, not one per flush interval.
 */
export const MAX_REFUSAL_HOLD_MS = 300_000;

/**
 * Spans encoded together in a detail cut. Spans wait as objects until then, and every garbage
 * collection marks them: at 2,000 a cut, tracing every request of the routes app measured p99
 * 6.6–9.0 ms; at 250, 3.1–3.2 ms for the same CPU per request.
 */
export const SPANS_PER_CUT = 250;

/**
 * Detail records as custom storage gets them: each with its memory and CPU figures (the recorder
 * writes them only when they change), and its own copies, as records made under one system profile
 * share one memory object: a handler that changes a record in place must not reach its neighbours,
 * nor what goes to the edge.
 */
function ownCopies(samples: DetailSample[]): DetailSample[] {
  const copies = samples.map((sample) => ({ ...sample }));
  fillCarriedProfiles(copies);
  for (const copy of copies) if (copy.memoryUsage !== undefined) copy.memoryUsage = { ...copy.memoryUsage };
  return copies;
}

export class Batcher {
  readonly #options: BatcherOptions;
  #spans: Span[] = [];
  #profiles: SystemProfile[] = [];
  /** Dropped while recording (full buffers), since the last cut. */
  #recordingDropped = zeroCounters();
  /** Everything ever dropped, for tests and the debug line; never reset. */
  readonly droppedTotal = zeroCounters();
  /** What waits for the edge. */
  readonly pending: PendingData;
  #windowStart = Date.now();
  #running: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The end of a hurry (see hurry). */
  #hurried: ReturnType<typeof setTimeout> | undefined;
  #cutScheduled = false;
  #detailCutScheduled = false;
  #stopped = false;
  /** Something worth a request waits (requests, detail, losses), not only profiles. */
  #worthSending = false;
  /** When the edge last took a batch (or the timers started). */
  #lastSent = Date.now();
  /** Batches the edge accepted. */
  delivered = 0;
  /** Refusals for good in a row, since the edge last took a batch. */
  #refusals = 0;
  readonly #outage: OutageLog;
  /** Ticks to come before the next send: a refusal is "no", not "not now", so nothing goes sooner. */
  #heldTicks = 0;

  constructor(options: BatcherOptions) {
    this.#options = options;
    this.#outage = options.outage ?? createOutageLog(options.log);
    this.pending = new PendingData({ identity: options.identity, maxPendingBytes: options.maxPendingBytes, log: options.log, droppedTotal: this.droppedTotal });
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastSent = Date.now();
    this.#restart(this.#options.flushIntervalMs);
  }

  /** The flush interval's turn: a cut, sent when it is worth a request, else once a heartbeat. */
  async #tick(): Promise<void> {
    this.cut();
    if (this.#heldTicks > 0 && --this.#heldTicks > 0) return;
    const heartbeat = Math.max(this.#options.heartbeatMs ?? HEARTBEAT_MS, this.#options.flushIntervalMs);
    if (this.#worthSending || Date.now() - this.#lastSent >= heartbeat) await this.#run();
  }

  /**
   * Ships what is pending now, then every `intervalMs` for `forMs`, then as configured again: for a
   * process that will be killed outright soon (a container's PID 1 told to stop), so the kill loses
   * that much at most; should no kill come, the edge is not asked ten times as often for good.
   */
  hurry(intervalMs: number, forMs: number): void {
    if (this.#stopped) return;
    if (intervalMs < this.#options.flushIntervalMs) {
      this.#restart(intervalMs);
      clearTimeout(this.#hurried);
      this.#hurried = unref(setTimeout(() => {
        if (!this.#stopped) this.#restart(this.#options.flushIntervalMs);
      }, forMs));
    }
    void this.flush();
  }

  #restart(intervalMs: number): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = unref(setInterval(() => void this.#tick(), intervalMs));
  }

  stop(): void {
    this.#stopped = true;
    this.pending.stop();
    clearTimeout(this.#hurried);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Spans for the edge (the edge span exporter calls this). */
  addSpans(spans: readonly Span[]): void {
    for (const span of spans) {
      if (this.#spans.length >= 2 * LIMITS.spans) {
        this.#recordingDropped.spans++;
        this.droppedTotal.spans++;
        continue;
      }
      this.#spans.push(span);
    }
    if (this.#spans.length >= SPANS_PER_CUT) this.requestDetailCut();
  }

  addProfile(profile: SystemProfile): void {
    if (this.#profiles.length >= LIMITS.profiles) {
      this.#recordingDropped.profiles++;
      this.droppedTotal.profiles++;
      return;
    }
    this.#profiles.push(profile);
  }

  /** A buffer is full: cut soon, off the request path that noticed it. */
  requestCut(): void {
    if (this.#cutScheduled || this.#stopped) return;
    this.#cutScheduled = true;
    unref(setTimeout(() => {
      this.#cutScheduled = false;
      void this.flush();
    }, 0));
  }

  /** Detail records fill a cut: encode them soon, off the request path that noticed it. */
  requestDetailCut(): void {
    if (this.#detailCutScheduled || this.#stopped) return;
    this.#detailCutScheduled = true;
    unref(setTimeout(() => {
      this.#detailCutScheduled = false;
      this.cutDetail();
    }, 0));
  }

  /**
   * Takes the detail records only (samples, spans) into the pending data, and sends when they fill
   * a batch; the rollup cells go on filling until the flush interval.
   */
  cutDetail(): void {
    try {
      const { samples, droppedSamples } = this.#options.recorder.drainDetail();
      const spans = this.#spans;
      this.#spans = [];
      this.#droppedWhileRecording(droppedSamples); // reported with the next full cut's batch
      if (samples.length + spans.length === 0) return;
      this.#worthSending = true;
      this.#hand({ rollups: [], samples, spans, profiles: [] }, zeroCounters(), Date.now());
      if (this.#options.send && this.pending.detailFull) void this.#run(true);
    } catch (error) {
      this.#options.log.warnOnce('cut', `could not cut a batch (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
  }

  /** Takes what was recorded: to custom storage as batches, and into the pending data for the edge. */
  cut(): void {
    try {
      const drained = this.#options.recorder.drain();
      this.#recordingDropped.parentTraces += drained.parentTracesRefused;
      this.droppedTotal.parentTraces += drained.parentTracesRefused;
      const recorded = { rollups: drained.rollups, samples: drained.samples, spans: this.#spans, profiles: this.#profiles };
      this.#spans = [];
      this.#profiles = [];
      this.#droppedWhileRecording(drained.droppedSamples);
      const recordingDropped = this.#recordingDropped;
      this.#recordingDropped = zeroCounters();
      if (isEmpty(recorded) && !anyCounted(recordingDropped)) return;
      if (recorded.rollups.length + recorded.samples.length + recorded.spans.length > 0 || anyCounted(recordingDropped)) this.#worthSending = true;
      const end = Date.now();
      this.#hand(recorded, recordingDropped, end);
      this.#windowStart = end;
    } catch (error) {
      this.#options.log.warnOnce('cut', `could not cut a batch (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
  }

  #droppedWhileRecording(samples: number): void {
    this.#recordingDropped.samples += samples;
    this.droppedTotal.samples += samples;
  }

  /** A cut's records to custom storage (as batches, over the window up to `end`) and into the pending data for the edge. */
  #hand(recorded: Recorded, dropped: Counters, end: number): void {
    if (this.#options.customStorage) {
      const records = { ...recorded, samples: ownCopies(recorded.samples) };
      for (const batch of buildBatches(this.#options.identity, { start: Math.min(this.#windowStart, end), end }, records, dropped)) this.#store(batch);
    }
    if (this.#options.send) this.pending.add(recorded.rollups, recorded.samples, recorded.spans, recorded.profiles, dropped);
  }

  /** Cuts, then ships everything pending; resolves when nothing is left or the edge is unreachable. */
  async flush(): Promise<void> {
    this.cut();
    await this.#run();
  }

  /** Resolves when the export running now (if any) has finished. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /**
   * Seals everything pending into batches, for the last synchronous send of a process that exits:
   * the request counts first, detail sealed for `detailMs` at most (see PendingData.sealAll).
   */
  sealAll(detailMs?: number): FinalSeal {
    try {
      return this.pending.sealAll(detailMs);
    } catch (error) {
      this.#options.log.warnOnce('seal', `could not seal the last batches (${errorClassOf(error)}: ${(error as Error)?.message})`);
      return { batches: [], triedFirst: false, report: '' };
    }
  }

  #store(batch: Batch): void {
    const handler = this.#options.customStorage;
    if (!handler) return;
    try {
      const result = handler(batch);
      if (result instanceof Promise) result.catch((error: unknown) => this.#warnStorage(error));
    } catch (error) {
      this.#warnStorage(error);
    }
  }

  #warnStorage(error: unknown): void {
    this.#options.log.warnOnce('custom-storage', `storage.customHandler failed (${quoteThrown(error)}); later failures are not reported`);
  }

  /** `fullOnly`: send while detail fills whole batches, and leave the rest for the flush interval. */
  #run(fullOnly = false): Promise<void> {
    const send = this.#options.send;
    // An early export stops once detail no longer fills a batch: a flush that meets one sends the rest
    // after it, unless the batcher was stopped meanwhile (what is left is the final flush's).
    if (this.#running) return fullOnly ? this.#running : this.#running.then(() => (this.#stopped ? undefined : this.#run()));
    // Held only while the timer runs: it is what ends the hold.
    if (!send || !this.pending.any || (this.#heldTicks > 0 && this.#timer !== undefined)) return Promise.resolve();
    // .finally runs in a later microtask, so #running is always assigned before it is cleared.
    const run = this.#export(send, fullOnly).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  /** What the sends tell while their attempts go on: no edge met is said at the first attempt. */
  readonly #watch: SendWatch = {
    unreachable: (reason) => this.#sayOutage('the edge is unreachable', reason),
    busy: (reason) => this.#sayOutage('the edge cannot take data now', reason),
  };

  /**
   * The start of an outage, unless the batcher was stopped: the process is ending, and the final
   * flush's own line says what did not get through (an outage line after it had read as news).
   */
  #sayOutage(why: string, reason: string): void {
    if (this.#stopped) return;
    this.#outage.started(`${why} (${reason}); keeping up to ${this.#options.maxPendingBytes} bytes of data (detail dropped first, request counts merged) and retrying`);
  }

  async #export(send: EdgeSend, fullOnly: boolean): Promise<void> {
    try {
      const due = () => !fullOnly || this.pending.sealed || this.pending.detailFull;
      for (let batch = due() ? this.pending.next() : undefined; batch !== undefined; batch = due() ? this.pending.next() : undefined) {
        const outcome = await send(batch, this.#watch);
        if (outcome.ok) {
          this.pending.delivered();
          this.#refusals = 0;
          this.#outage.ended();
          const answer = answerOf(outcome.body);
          this.pending.learnCaps(answer.limits);
          this.pending.learnAdditions(answer.accepts);
          this.delivered++;
          this.#lastSent = Date.now();
          this.#options.log.debug(`batch ${batch.batchId} delivered (${batch.body.byteLength} bytes, ${outcome.attempts} attempt(s))`);
          continue;
        }
        if (!outcome.retryable) {
          if (outcome.status === 413 && this.pending.tooLarge()) {
            this.#options.log.warnOnce('too-large', `the edge refused a batch as too large (${outcome.reason}); sending it again in smaller batches`);
            continue;
          }
          if ((outcome.status === 400 || outcome.status === 422) && this.pending.withoutAdditions()) {
            this.#options.log.warnOnce('additions', `the edge refused a batch carrying fields it had said it takes (${outcome.reason}); sending it again without them`);
            continue;
          }
          if ((outcome.status === 400 || outcome.status === 422) && this.pending.withoutDetail()) {
            this.#options.log.warnOnce('detail-refused', `the edge refused a batch (${outcome.reason}); its request counts go again without its detail records, which are counted as dropped (later refusals of detail are not reported)`);
            continue;
          }
          this.pending.refused();
          // A 2xx here is an answer that was not the edge's (edge-sender's isEdgeAnswer).
          const what = outcome.status !== undefined && outcome.status < 300 ? 'a batch was not delivered' : 'the edge refused a batch';
          this.#options.log.warnOnce(`refused-${outcome.status}`, `${what}: ${outcome.reason} (not retried; later refusals with this status are not reported)`);
          // Sending on would only carry the loss to the same refusal, in a loop: wait a tick, doubled
          // for each refusal in a row.
          const interval = this.#options.flushIntervalMs;
          this.#heldTicks = Math.ceil(exponentialBackoff(interval, Math.max(interval, MAX_REFUSAL_HOLD_MS))(++this.#refusals) / interval);
          return;
        }
        // Still unreachable after every retry: keep everything (bounded) and try again on the next flush.
        this.pending.unreachable();
        // Cut short by bun-apm (sends halted as the app stops serving): no news of the edge, unsaid.
        if (outcome.cutShort) return;
        // An answer that asks for a retry (a 503 naming a mistyped var) is no network failure: said as it is.
        const why = outcome.status === undefined ? 'the edge is unreachable' : 'the edge cannot take data now';
        // Once an outage, and its end said too: a second outage after a recovery had gone unsaid.
        this.#sayOutage(why, outcome.reason);
        return;
      }
      // Everything went (or was refused for good): until more than profiles waits, a heartbeat will do.
      if (!this.pending.any) this.#worthSending = false;
    } catch (error) {
      this.#options.log.warnOnce('export', `export failed (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
  }
}
