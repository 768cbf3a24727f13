// Ships what the recorder collects. A cut (on the flush interval, or when a buffer is full) adds its
// rollup cells to PendingCounts and its detail to a queue of chunks; a batch is sealed from the
// oldest of both only when it is sent, and keeps its id and body until the edge has it (one export
// in flight). Past the pending bound detail goes first, then cells are merged and widened in short
// steps off the request path, and only then dropped, counted in records and in requests; the counts
// travel in the next batch that gets through.
import { LIMITS, type Batch, type Identity, type Span, type SystemProfile } from '../core/wire-format.ts';
import { addCounters, anyCounted, buildBatches, encodeBatch, isEmpty, newBatchId, requestsIn, zeroCounters, type Counters } from './batch-builder.ts';
import { errorClassOf, type Log } from './log.ts';
import { PendingCounts } from './pending-counts.ts';
import { chunkBytes, compressChunk, detailChunks, fragmentText, GZIP_LEVEL, NO_DETAIL, type DetailChunk } from './pending-detail.ts';
import type { Recorder } from './recorder.ts';
import type { SendOutcome } from './send-with-retry.ts';
import { unref } from './unref.ts';

/** A sealed batch: its gzip body, sent with the same id until the edge has it. */
export interface PendingBatch {
  batchId: string;
  body: Uint8Array<ArrayBuffer>;
  /** What it holds: what is lost if it is. */
  contents: Counters;
  /** The dropped counters it carries (lost with it, so added back if it is dropped). */
  carried: Counters;
}

export interface BatcherOptions {
  recorder: Recorder;
  identity: Identity;
  flushIntervalMs: number;
  maxPendingBytes: number;
  /** Ships one gzip'd batch (retries included); undefined = no endpoint, nothing is kept. */
  send?: (batch: PendingBatch) => Promise<SendOutcome>;
  customStorage?: (batch: Batch) => void | Promise<void>;
  log: Log;
}

/** Spans that make a batch worth cutting early (well under LIMITS.spans, so each cut stays short). */
export const SPANS_PER_CUT = 2_000;

/**
 * The oldest data a batch carries: the edge refuses a batch holding anything older than its
 * MAX_BATCH_AGE_HOURS (168 by default), so older pending data is dropped and counted instead.
 */
export const MAX_SENDABLE_AGE_MS = 167 * 3_600_000;

/** How long one relief step may hold the app's thread (it then yields to a later turn). */
const RELIEF_STEP_MS = 2;

export class Batcher {
  readonly #options: BatcherOptions;
  readonly #counts = new PendingCounts();
  #detail: DetailChunk[] = [];
  #detailBytes = 0;
  /** The sealed batch being sent or waiting to be sent again. */
  #head: PendingBatch | undefined;
  /** The last export failed with a retryable outcome: the edge is away for an unknown time. */
  #unreachable = false;
  #spans: Span[] = [];
  #profiles: SystemProfile[] = [];
  /** Dropped while recording (full buffers), since the last cut. */
  #recordingDropped = zeroCounters();
  /** Dropped and not yet reported to the edge. */
  #dropped = zeroCounters();
  /** Everything ever dropped, for tests and the debug line; never reset. */
  readonly droppedTotal = zeroCounters();
  #windowStart = Date.now();
  #running: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #cutScheduled = false;
  #reliefScheduled = false;
  #stopped = false;
  /** Batches the edge accepted. */
  delivered = 0;
  /** The longest relief step so far, ms (merging and widening cells under pressure). */
  longestReliefMs = 0;

  constructor(options: BatcherOptions) {
    this.#options = options;
  }

  /** Memory charged against maxPendingBytes: cells as JSON characters, detail and the sealed batch as held. */
  get pendingBytes(): number {
    return this.#counts.chars + this.#detailBytes + (this.#head?.body.byteLength ?? 0);
  }

  /** Requests counted in data not yet delivered. */
  get pendingRequests(): number {
    return this.#counts.requests + (this.#head?.contents.requests ?? 0);
  }

  /** Detail records (samples, spans, profiles) not yet delivered. */
  get pendingDetail(): number {
    let records = 0;
    for (const chunk of this.#detail) records += chunk.contents.samples + chunk.contents.spans + chunk.contents.profiles;
    const head = this.#head?.contents;
    return records + (head ? head.samples + head.spans + head.profiles : 0);
  }

  /** Whether anything waits to be sent (cells, detail, a sealed batch or dropped counters). */
  get hasPending(): boolean {
    return this.#head !== undefined || this.#counts.cells > 0 || this.#detail.length > 0 || anyCounted(this.#dropped);
  }

  /** The widest window pending cells were merged into, in minutes (1 when none was widened). */
  get widestPendingWindow(): number {
    return this.#counts.widest;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = unref(setInterval(() => void this.flush(), this.#options.flushIntervalMs));
  }

  stop(): void {
    this.#stopped = true;
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
    if (this.#spans.length >= SPANS_PER_CUT) this.requestCut();
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

  /** Takes what was recorded: to custom storage as batches, and into the pending data for the edge. */
  cut(): void {
    try {
      const drained = this.#options.recorder.drain();
      const recorded = { rollups: drained.rollups, samples: drained.samples, spans: this.#spans, profiles: this.#profiles };
      this.#spans = [];
      this.#profiles = [];
      const recordingDropped = this.#recordingDropped;
      this.#recordingDropped = zeroCounters();
      recordingDropped.samples += drained.droppedSamples;
      this.droppedTotal.samples += drained.droppedSamples;
      if (isEmpty(recorded) && !anyCounted(recordingDropped)) return;
      const end = Date.now();
      if (this.#options.customStorage) {
        for (const batch of buildBatches(this.#options.identity, { start: Math.min(this.#windowStart, end), end }, recorded, recordingDropped)) this.#store(batch);
      }
      this.#windowStart = end;
      if (!this.#options.send) return;
      addCounters(this.#dropped, recordingDropped);
      this.#counts.add(recorded.rollups);
      for (const chunk of detailChunks(recorded.samples, recorded.spans, recorded.profiles)) {
        if (this.#unreachable) compressChunk(chunk);
        this.#detail.push(chunk);
        this.#detailBytes += chunkBytes(chunk);
      }
      this.#enforceBound();
    } catch (error) {
      this.#options.log.warnOnce('cut', `could not cut a batch (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
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
   * Seals everything pending into batches, for the last synchronous send of a process that exits;
   * the sealed batch already tried comes first, with its id.
   */
  sealAll(): PendingBatch[] {
    const batches: PendingBatch[] = [];
    try {
      if (this.#head) batches.push(this.#head);
      for (let batch = this.#seal(); batch !== undefined; batch = this.#seal()) batches.push(batch);
    } catch (error) {
      this.#options.log.warnOnce('seal', `could not seal the last batches (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
    return batches;
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
    this.#options.log.warnOnce('custom-storage', `storage.customHandler failed (${errorClassOf(error)}: ${(error as Error)?.message}); later failures are not reported`);
  }

  /**
   * Keeps pendingBytes within the bound, cheapest loss first: the oldest detail chunks, the detail of
   * the sealed batch, then (in short steps) merging, widening and at last dropping cells.
   */
  #enforceBound(): void {
    const max = this.#options.maxPendingBytes;
    while (this.pendingBytes > max && this.#detail.length > 0) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      this.#loseDetail(chunk.contents);
    }
    if (this.pendingBytes > max) this.#thinHead();
    if (this.pendingBytes > max) this.#relieveCounts();
  }

  /** One bounded step of merging cells; schedules the next on a later turn until the bound holds. */
  #relieveCounts(): void {
    const started = performance.now();
    const budget = this.#options.maxPendingBytes - this.#detailBytes - (this.#head?.body.byteLength ?? 0);
    const { loss, done } = this.#counts.relieve(budget, RELIEF_STEP_MS);
    this.longestReliefMs = Math.max(this.longestReliefMs, performance.now() - started);
    if (loss.rollups > 0) {
      addCounters(this.#dropped, loss);
      addCounters(this.droppedTotal, loss);
      this.#options.log.warnOnce('counts-dropped', `pending request counts outgrew maxPendingBytes (${this.#options.maxPendingBytes}) even merged into ${this.#counts.widest}-minute windows; the oldest were dropped and their requests counted as not sent`);
    }
    if (done || this.#reliefScheduled || this.#stopped) return;
    this.#reliefScheduled = true;
    unref(setTimeout(() => {
      this.#reliefScheduled = false;
      // Through the whole order again: detail cut meanwhile goes before any more cells.
      this.#enforceBound();
    }, 0));
  }

  /**
   * Strips the detail from the sealed batch, keeping its id: if the edge already stored the full
   * batch it answers this one as a duplicate, so no count is lost or doubled either way (the detail
   * is then counted as dropped though it arrived).
   */
  #thinHead(): void {
    const head = this.#head;
    if (!head || head.contents.samples + head.contents.spans + head.contents.profiles === 0) return;
    const batch = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(head.body))) as Batch;
    batch.samples = [];
    batch.spans = [];
    batch.profiles = [];
    head.body = Bun.gzipSync(JSON.stringify(batch), { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>;
    this.#loseDetail(head.contents);
    head.contents = { ...head.contents, samples: 0, spans: 0, profiles: 0 };
  }

  #loseDetail(contents: { samples: number; spans: number; profiles: number }): void {
    const lost = { samples: contents.samples, spans: contents.spans, profiles: contents.profiles };
    addCounters(this.#dropped, lost);
    addCounters(this.droppedTotal, lost);
  }

  /** A batch of the oldest pending cells and detail chunk, or undefined when there is nothing to send. */
  #seal(): PendingBatch | undefined {
    const now = Date.now();
    const cutoff = now - MAX_SENDABLE_AGE_MS;
    const stale = this.#counts.dropBefore(cutoff);
    addCounters(this.#dropped, stale);
    addCounters(this.droppedTotal, stale);
    while (this.#detail.length > 0 && this.#detail[0]!.start < cutoff) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      this.#loseDetail(chunk.contents);
    }
    if (this.#counts.cells === 0 && this.#detail.length === 0 && !anyCounted(this.#dropped)) return undefined;
    const rollups = this.#counts.take(LIMITS.rollups, Math.max(1, Math.floor(this.#options.maxPendingBytes / 2)));
    const chunk = this.#detail.shift();
    if (chunk) this.#detailBytes -= chunkBytes(chunk);
    let start = Math.min(now, chunk?.start ?? now);
    for (const cell of rollups) start = Math.min(start, cell.minute);
    const carried = this.#dropped;
    this.#dropped = zeroCounters();
    const batchId = newBatchId();
    const json = encodeBatch(batchId, this.#options.identity, { start, end: now }, rollups, chunk ? fragmentText(chunk) : NO_DETAIL, carried);
    return {
      batchId,
      body: Bun.gzipSync(json, { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>,
      contents: { rollups: rollups.length, requests: requestsIn(rollups), samples: 0, spans: 0, profiles: 0, ...chunk?.contents },
      carried,
    };
  }

  /** A sealed batch the edge refused for good: what it held and carried is reported as dropped. */
  #lose(batch: PendingBatch): void {
    addCounters(this.#dropped, batch.contents);
    addCounters(this.#dropped, batch.carried);
    addCounters(this.droppedTotal, batch.contents);
  }

  #run(): Promise<void> {
    const send = this.#options.send;
    if (this.#running) return this.#running;
    if (!send || !this.hasPending) return Promise.resolve();
    // .finally runs in a later microtask, so #running is always assigned before it is cleared.
    const run = this.#export(send).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  async #export(send: (batch: PendingBatch) => Promise<SendOutcome>): Promise<void> {
    try {
      for (;;) {
        this.#head ??= this.#seal();
        const batch = this.#head;
        if (batch === undefined) return;
        const outcome = await send(batch);
        if (outcome.ok) {
          this.#head = undefined;
          this.#unreachable = false;
          this.delivered++;
          this.#options.log.debug(`batch ${batch.batchId} delivered (${batch.body.byteLength} bytes, ${outcome.attempts} attempt(s))`);
          continue;
        }
        if (!outcome.retryable) {
          this.#head = undefined;
          this.#lose(batch);
          this.#options.log.warnOnce(`refused-${outcome.status}`, `the edge refused a batch: ${outcome.reason} (not retried; later refusals with this status are not reported)`);
          continue;
        }
        // Still unreachable after every retry: keep everything (bounded), gzip'd, and try again on the next flush.
        this.#unreachable = true;
        for (const chunk of this.#detail) this.#detailBytes -= compressChunk(chunk);
        this.#options.log.warnOnce('unreachable', `the edge is unreachable (${outcome.reason}); keeping up to ${this.#options.maxPendingBytes} bytes of data (detail dropped first, request counts merged) and retrying`);
        return;
      }
    } catch (error) {
      this.#options.log.warnOnce('export', `export failed (${errorClassOf(error)}: ${(error as Error)?.message})`);
    }
  }
}
