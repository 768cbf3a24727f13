// Everything waiting for the edge, within maxPendingBytes: rollup cells (PendingCounts), detail
// chunks, the batch sealed from the oldest of both when it is sent (kept, with its id, until the edge
// has it), and the counters of what had to be dropped. Past the bound, cheapest loss first: detail
// chunks, the sealed batch's detail, then cells merged, widened and at last dropped, in short steps
// on later turns of the event loop, so that neither a request nor one turn pays for it.
import { LIMITS, WIRE_ADDITIONS, writeOutCarriedProfiles, type WireAddition, type Batch, type DetailSample, type Identity, type RollupCell, type Span, type SystemProfile } from '../../core/wire-format.ts';
import { addCounters, anyCounted, droppedOf, encodeBatch, newBatchId, requestsIn, zeroCounters, type Counters } from '../../core/batch-builder.ts';
import type { Log } from './log.ts';
import { PendingCounts } from './pending-counts.ts';
import { chunkBytes, compressChunk, detailChunks, exceeds, fitsWith, GZIP_LEVEL, MERGE_BUDGET_CHARS, mergedFragment, NO_DETAIL, splitChunk, uncarried, withoutFuture, type DetailChunk, type DetailContents } from './pending-detail.ts';
import { unref } from './unref.ts';

/** A sealed batch: its gzip body, sent with the same id until the edge has it. */
export interface PendingBatch {
  batchId: string;
  body: Uint8Array<ArrayBuffer>;
  /** What it holds: what is lost if it is. */
  contents: Counters;
  /** The dropped counters it carries (lost with it, so added back if it is dropped). */
  carried: Counters;
  /** Marked `carriedProfiles`: its samples leave out figures they share with an earlier one. */
  carriedProfiles: boolean;
  /**
   * Sent at exit only if the latest accepted (2xx) answer before it in the same send lists this
   * addition: the last batch, carrying only an addition's count, when the edge is not known to take it.
   */
  ifAccepted?: WireAddition;
}

export interface PendingDataOptions {
  identity: Identity;
  maxPendingBytes: number;
  log: Log;
  /** Everything ever dropped is added here too (the batcher's running total). */
  droppedTotal: Counters;
}

/**
 * The oldest data a batch carries: the edge refuses a batch holding anything older than its
 * MAX_BATCH_AGE_HOURS (168 by default), so older pending data is dropped and counted instead.
 */
export const MAX_SENDABLE_AGE_MS = 167 * 3_600_000;

/**
 * The latest time a batch carries, ahead of now: the edge refuses a whole batch holding anything
 * more than 5 minutes in its future (validate-batch's maxSkewMs), so cells and detail recorded
 * while the clock was ahead (then stepped back) are dropped and counted instead of taking the
 * correctly dated ones with them. A minute less, for the edge's clock and ours to disagree.
 */
export const MAX_FUTURE_MS = 4 * 60_000;

/**
 * How long the exit merges cells of one window and key (exact; 25-100 µs a sketch): the cuts of an
 * outage, 40 routes every 500 ms, went in 480 cells, in a tenth of them.
 */
const FINAL_MERGE_MS = 50;

/** What a batch is sealed from: everything, the cells and dropped counters only, or detail only. */
type Parts = 'all' | 'counts' | 'detail';

/** What the exit sends, in order, and the batch that reports what of it did not get through. */
export interface FinalSeal {
  /** The batch sealed before (its id kept), counts-only batches (cells and dropped counters), detail, an addition's count. */
  batches: PendingBatch[];
  /** The first batch is the one sealed before: sent already, it may have arrived (never reported lost while awaited). */
  triedFirst: boolean;
  /** The JSON of an empty batch (no id, dropped all zero) the sender fills in to report what it could not send. */
  report: string;
}

/** How long one relief step may hold the app's thread (it then yields to a later turn). */
const RELIEF_STEP_MS = 2;

/** What one batch may carry: the validator's LIMITS, lowered to the caps the edge's answers name. */
export interface BatchCaps {
  maxRollups: number;
  maxSamples: number;
  maxSpans: number;
  maxProfiles: number;
  /** The body as sent (gzip). */
  maxBodyBytes: number;
  /** The body once inflated: its JSON's UTF-8 bytes. */
  maxDecompressedBytes: number;
}

export const DEFAULT_CAPS: Readonly<BatchCaps> = {
  maxRollups: LIMITS.rollups, maxSamples: LIMITS.samples, maxSpans: LIMITS.spans, maxProfiles: LIMITS.profiles, maxBodyBytes: Number.POSITIVE_INFINITY,
  maxDecompressedBytes: Number.POSITIVE_INFINITY,
};

export class PendingData {
  readonly #options: PendingDataOptions;
  readonly #counts = new PendingCounts();
  #detail: DetailChunk[] = [];
  #detailBytes = 0;
  /** The sealed batch being sent or waiting to be sent again. */
  #head: PendingBatch | undefined;
  /** The last export failed and may be retried: the edge is away for an unknown time. */
  #unreachable = false;
  /** Dropped and not yet reported to the edge. */
  #dropped = zeroCounters();
  #reliefScheduled = false;
  #stopped = false;
  /** The longest relief step so far, ms (merging and widening cells under pressure). */
  longestReliefMs = 0;
  #caps: BatchCaps = { ...DEFAULT_CAPS };
  /** Wire additions the edge said it takes (an answer's `accepts`); none until it says so. */
  readonly #accepts = new Set<WireAddition>();

  constructor(options: PendingDataOptions) {
    this.#options = options;
  }

  /** Memory charged against maxPendingBytes: cells as JSON characters, detail and the sealed batch as held. */
  get bytes(): number {
    return this.#counts.chars + this.#detailBytes + (this.#head?.body.byteLength ?? 0);
  }

  /** Requests counted in what waits. */
  get requests(): number {
    return this.#counts.requests + (this.#head?.contents.requests ?? 0);
  }

  /** Detail records (samples, spans, profiles) waiting. */
  get detailRecords(): number {
    let records = 0;
    for (const chunk of this.#detail) records += detailIn(chunk.contents);
    return records + (this.#head ? detailIn(this.#head.contents) : 0);
  }

  /** Whether anything waits to be sent (cells, detail, a sealed batch or dropped counters). */
  get any(): boolean {
    return this.#head !== undefined || this.#counts.cells > 0 || this.#detail.length > 0 || anyCounted(this.#sendable(this.#dropped, this.#takesParentTraces));
  }

  /** The edge has said it takes `dropped.parentTraces`. */
  get #takesParentTraces(): boolean {
    return this.#accepts.has('dropped.parentTraces');
  }

  /** The edge has said it takes batches whose samples carry memory and CPU figures forward. */
  get #takesCarriedProfiles(): boolean {
    return this.#accepts.has('carriedProfiles');
  }

  /** The counters a batch may carry: all, or all but the count of an addition not to be sent. */
  #sendable(counters: Counters, additions: boolean): Counters {
    return additions ? counters : { ...counters, parentTraces: 0 };
  }

  /**
   * Detail waiting fills a batch of its own (the caps' records, or MERGE_BUDGET_CHARS of text), so
   * it is worth sending before the flush interval: full detail on a busy app then ships in a few
   * large batches, not one per cut.
   */
  get detailFull(): boolean {
    if (this.#detailBytes >= MERGE_BUDGET_CHARS) return true;
    let samples = 0;
    let spans = 0;
    for (const chunk of this.#detail) {
      samples += chunk.contents.samples;
      spans += chunk.contents.spans;
    }
    return samples >= this.#caps.maxSamples || spans >= this.#caps.maxSpans;
  }

  /** A batch is sealed and waits to be sent (again). */
  get sealed(): boolean {
    return this.#head !== undefined;
  }

  /** The widest window cells were merged into, in minutes (1 when none was widened). */
  get widestWindow(): number {
    return this.#counts.widest;
  }

  /** The caps batches are sealed within now. */
  get caps(): Readonly<BatchCaps> {
    return this.#caps;
  }

  /**
   * The edge's caps (an answer's `limits`): later batches are sealed to fit them, never past the
   * validator's LIMITS. Anything that is not a positive number is ignored.
   */
  learnCaps(limits: Partial<Record<keyof BatchCaps, unknown>>): void {
    for (const key of Object.keys(DEFAULT_CAPS) as Array<keyof BatchCaps>) {
      const value = limits[key];
      if (typeof value === 'number' && Number.isFinite(value) && value >= 1) this.#caps[key] = Math.min(DEFAULT_CAPS[key], Math.floor(value));
    }
  }

  /**
   * The wire additions an edge's answer lists (`accepts`): later batches may carry them. Each answer
   * says it afresh, so an edge rolled back to an older version is not sent what it would refuse.
   */
  learnAdditions(accepts: readonly unknown[]): void {
    this.#accepts.clear();
    for (const name of accepts) if ((WIRE_ADDITIONS as readonly unknown[]).includes(name)) this.#accepts.add(name as WireAddition);
  }

  /** Stops relief steps (the process is going). */
  stop(): void {
    this.#stopped = true;
  }

  /** Adds one cut: its cells, its detail, and what was dropped while recording it. */
  add(rollups: RollupCell[], samples: DetailSample[], spans: Span[], profiles: SystemProfile[], dropped: Counters): void {
    addCounters(this.#dropped, dropped);
    this.#counts.add(rollups);
    for (const chunk of detailChunks(samples, spans, profiles, this.#takesCarriedProfiles)) {
      if (this.#unreachable) compressChunk(chunk); // the wait may be long: hold it small
      this.#detail.push(chunk);
      this.#detailBytes += chunkBytes(chunk);
    }
    this.#enforceBound();
  }

  /** The batch to send next: the one already sealed, else one sealed now; undefined when nothing waits. */
  next(): PendingBatch | undefined {
    this.#head ??= this.#seal();
    return this.#head;
  }

  /**
   * The edge refused the sealed batch as too large (413, before storing anything): its parts go back
   * to be sealed again in batches of half its size, with new ids. False when it holds a single row.
   */
  tooLarge(): boolean {
    const head = this.#head;
    if (!head || rowsIn(head.contents) <= 1) return false;
    const batch = opened(head.body);
    this.#head = undefined;
    // No floor: the edge's cap may be under any, and the same rows must not be sealed again.
    this.#caps.maxBodyBytes = Math.min(this.#caps.maxBodyBytes, Math.floor(head.body.byteLength / 2));
    this.#counts.add(batch.rollups);
    const chunks = detailChunks(batch.samples, batch.spans, batch.profiles, this.#takesCarriedProfiles);
    for (const chunk of chunks) this.#detailBytes += chunkBytes(chunk);
    this.#detail.unshift(...chunks);
    addCounters(this.#dropped, head.carried);
    return true;
  }

  /**
   * The edge refused the sealed batch as malformed (400/422) while it carried a wire addition: it
   * may have been rolled back to a version without it. The additions are forgotten until an answer
   * lists them again, and the batch goes again without them under the same id (an edge that stored
   * it before the rollback answers duplicate). False when it carried none.
   */
  withoutAdditions(): boolean {
    const head = this.#head;
    if (!head || !carriesAdditions(head)) return false;
    this.#accepts.clear();
    this.#stripAdditions(head);
    return true;
  }

  /**
   * Takes the additions out of a sealed batch (same id, same records): their counts wait in
   * #dropped, and carried figures are written on every sample.
   */
  #stripAdditions(head: PendingBatch): void {
    if (!carriesAdditions(head)) return;
    const batch = opened(head.body);
    batch.dropped = droppedOf({ ...head.carried, parentTraces: 0 });
    this.#dropped.parentTraces += head.carried.parentTraces;
    head.carried = { ...head.carried, parentTraces: 0 };
    writeOutCarriedProfiles(batch);
    head.carriedProfiles = false;
    head.body = gzipped(JSON.stringify(batch));
  }

  /**
   * The edge refused the sealed batch as malformed (400/422) while it held detail records: they go,
   * counted as dropped, and the batch goes again with its counts alone, under the same id (a refused
   * batch is not stored). A record the edge will not take must not cost the requests the batch
   * counts. False when it held no detail, or nothing else.
   */
  withoutDetail(): boolean {
    const head = this.#head;
    if (!head || detailIn(head.contents) === 0 || (head.contents.rollups === 0 && !anyCounted(head.carried))) return false;
    this.#thinHead();
    return true;
  }

  /** The edge has the sealed batch. */
  delivered(): void {
    this.#head = undefined;
    this.#unreachable = false;
  }

  /** The edge refused the sealed batch for good: what it held and carried is reported as dropped. */
  refused(): void {
    const head = this.#head;
    if (!head) return;
    this.#head = undefined;
    addCounters(this.#dropped, head.contents);
    addCounters(this.#dropped, head.carried);
    addCounters(this.#options.droppedTotal, head.contents);
  }

  /** The edge is away after every retry: keep everything (bounded), detail gzip'd. */
  unreachable(): void {
    this.#unreachable = true;
    for (const chunk of this.#detail) this.#detailBytes -= compressChunk(chunk);
  }

  /**
   * Seals everything into batches, for the last synchronous send of a process that exits. Sent in
   * this order: the request counts (cells and dropped counters) in batches of their own, the batch
   * sealed before (with its id: the edge may have stored it already), detail, an addition's count.
   * Detail is sealed for `detailMs` at most (it re-encodes and gzips on the app's thread): what is
   * left is dropped and counted, and the counts' batches, sealed after it, carry that count.
   */
  sealAll(detailMs = Number.POSITIVE_INFINITY): FinalSeal {
    // At exit there is no second try: what was recorded goes in batches any edge takes, and a count
    // of an addition in a batch of its own, so an edge rolled back since refuses only that.
    const head = this.#head;
    this.#head = undefined;
    if (head) this.#stripAdditions(head);
    const detail: PendingBatch[] = [];
    const until = performance.now() + detailMs;
    while (this.#detail.length > 0 && performance.now() < until) {
      const batch = this.#seal(false, 'detail');
      if (batch === undefined) break;
      detail.push(batch);
    }
    for (const chunk of this.#detail.splice(0)) this.#loseDetail(chunk.contents);
    this.#detailBytes = 0;
    this.#counts.mergeFor(FINAL_MERGE_MS);
    // The batch tried before goes first: it starts at once beside the counts, so it is never left
    // unsent and reported lost while its earlier send may have arrived (a review saw 52 requests
    // counted twice, received and dropped, with it queued behind eight counts batches).
    const batches: PendingBatch[] = head ? [head] : [];
    for (let batch = this.#seal(false, 'counts'); batch !== undefined; batch = this.#seal(false, 'counts')) batches.push(batch);
    batches.push(...detail);
    // Last: an edge not known to take it (none answered yet, or it has been upgraded since its last
    // answer) may still, and the exit's send finds out from the answers to the batches before.
    const additions = this.#seal(true, 'counts');
    if (additions !== undefined) {
      if (!this.#takesParentTraces) additions.ifAccepted = 'dropped.parentTraces';
      batches.push(additions);
    }
    const now = Date.now();
    return { batches, triedFirst: head !== undefined, report: encodeBatch('', this.#options.identity, { start: now, end: now }, [], NO_DETAIL, droppedOf(zeroCounters())) };
  }

  #enforceBound(): void {
    const max = this.#options.maxPendingBytes;
    while (this.bytes > max && this.#detail.length > 0) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      this.#loseDetail(chunk.contents);
    }
    if (this.bytes > max) this.#thinHead();
    if (this.bytes > max) this.#relieveCounts();
  }

  /** One bounded step of merging cells; the next, if needed, on a later turn. */
  #relieveCounts(): void {
    const started = performance.now();
    const budget = this.#options.maxPendingBytes - this.#detailBytes - (this.#head?.body.byteLength ?? 0);
    const { loss, done } = this.#counts.relieve(budget, RELIEF_STEP_MS);
    this.longestReliefMs = Math.max(this.longestReliefMs, performance.now() - started);
    if (loss.rollups > 0) {
      addCounters(this.#dropped, loss);
      addCounters(this.#options.droppedTotal, loss);
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
    if (!head || detailIn(head.contents) === 0) return;
    const batch = opened(head.body);
    batch.samples = [];
    batch.spans = [];
    batch.profiles = [];
    // Replaced, not changed: a send in flight keeps the body it started with.
    head.body = gzipped(JSON.stringify(batch));
    this.#loseDetail(head.contents);
    head.contents = { ...head.contents, samples: 0, spans: 0, profiles: 0 };
  }

  #loseDetail(contents: DetailContents): void {
    const lost = { samples: contents.samples, spans: contents.spans, profiles: contents.profiles };
    addCounters(this.#dropped, lost);
    addCounters(this.#options.droppedTotal, lost);
  }

  /**
   * A batch of the oldest cells and detail chunks within the caps, or undefined when nothing waits;
   * `additions`: whether it may carry wire additions (by default, when the edge takes them).
   */
  #seal(additions = this.#takesParentTraces, parts: Parts = 'all'): PendingBatch | undefined {
    const now = Date.now();
    const cutoff = now - MAX_SENDABLE_AGE_MS;
    const stale = this.#counts.dropBefore(cutoff);
    addCounters(this.#dropped, stale);
    addCounters(this.#options.droppedTotal, stale);
    while (this.#detail.length > 0 && this.#detail[0]!.start < cutoff) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      this.#loseDetail(chunk.contents);
    }
    this.#dropFuture(now + MAX_FUTURE_MS);
    const counts = this.#counts.cells > 0 || anyCounted(this.#sendable(this.#dropped, additions));
    const waiting = parts === 'counts' ? counts : parts === 'detail' ? this.#detail.length > 0 : counts || this.#detail.length > 0;
    if (!waiting) return undefined;
    // A body over the edge's maxBodyBytes, or inflating past its maxDecompressedBytes, is put back
    // and sealed again with fewer rows, in proportion to the rows it held (not to the caps, which may
    // be far above them): each try is smaller, so this ends. A single row is sent as it is (the
    // edge's answer then says why).
    for (let rows = Number.POSITIVE_INFINITY; ;) {
      const sealed = this.#sealRows(now, rows, additions, parts);
      const taken = rowsIn(sealed.batch.contents);
      const over = Math.max(sealed.batch.body.byteLength / this.#caps.maxBodyBytes, sealed.jsonBytes / this.#caps.maxDecompressedBytes);
      if (over <= 1 || taken <= 1) return sealed.batch;
      this.#unseal(sealed);
      rows = Math.max(1, Math.floor(taken * Math.min(0.5, 0.9 / over)));
    }
  }

  /**
   * Takes out what is dated past `latest` (the clock was ahead, then stepped back): cells and
   * detail records, dropped and counted, so that the batch holding them is not refused whole.
   */
  #dropFuture(latest: number): void {
    const future = this.#counts.dropAfter(latest);
    addCounters(this.#dropped, future);
    addCounters(this.#options.droppedTotal, future);
    if (!this.#detail.some((chunk) => chunk.end > latest)) return;
    this.#detail = this.#detail.flatMap((chunk) => {
      if (chunk.end <= latest) return [chunk];
      const { kept, lost } = withoutFuture(chunk, latest);
      this.#detailBytes -= chunkBytes(chunk);
      for (const part of kept) this.#detailBytes += chunkBytes(part);
      this.#loseDetail(lost);
      return kept;
    });
  }

  /** A batch of at most `rows` rows (see rowsIn), cells first; `parts`: only cells (and dropped counters) or only detail. */
  #sealRows(now: number, rows: number, additions: boolean, parts: Parts): Sealed {
    const caps = this.#caps;
    // Half the bound at most, so that a sealed batch never crowds out everything else.
    const rollups = parts === 'detail' ? [] : this.#counts.take(Math.min(caps.maxRollups, rows), Math.max(1, Math.floor(this.#options.maxPendingBytes / 2)));
    const left = parts === 'counts' ? 0 : rows - rollups.length;
    const detailCaps = { samples: Math.min(caps.maxSamples, left), spans: Math.min(caps.maxSpans, left), profiles: Math.min(caps.maxProfiles, left) };
    // A chunk cut before the edge's caps were known is cut again to fit them.
    if (left > 0 && this.#detail.length > 0 && exceeds(this.#detail[0]!, detailCaps)) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      const pieces = splitChunk(chunk, detailCaps);
      for (const piece of pieces) this.#detailBytes += chunkBytes(piece);
      this.#detail.unshift(...pieces);
    }
    // Several small chunks (a heartbeat's profiles, cuts that waited) go in one request, within the caps.
    const chunks: DetailChunk[] = [];
    while (left > 0 && this.#detail.length > 0 && (chunks.length === 0 || fitsWith(chunks, this.#detail[0]!, detailCaps))) {
      const chunk = this.#detail.shift()!;
      this.#detailBytes -= chunkBytes(chunk);
      // Encoded to carry figures forward, for a batch that may not (an edge not known to take it, the exit).
      chunks.push(additions && this.#takesCarriedProfiles ? chunk : uncarried(chunk));
    }
    let start = now;
    const detail = { samples: 0, spans: 0, profiles: 0 };
    for (const chunk of chunks) {
      start = Math.min(start, chunk.start);
      detail.samples += chunk.contents.samples;
      detail.spans += chunk.contents.spans;
      detail.profiles += chunk.contents.profiles;
    }
    for (const cell of rollups) start = Math.min(start, cell.minute);
    // A count the batch may not carry (an edge that has not said it takes it would refuse the batch)
    // waits here; a detail-only batch carries none (the counts' batches do, and may go first).
    const carried = parts === 'detail' ? zeroCounters() : this.#sendable(this.#dropped, additions);
    if (parts !== 'detail') this.#dropped = { ...zeroCounters(), parentTraces: this.#dropped.parentTraces - carried.parentTraces };
    const batchId = newBatchId();
    const carriedProfiles = chunks.some((chunk) => chunk.carriedProfiles);
    const json = encodeBatch(batchId, this.#options.identity, { start, end: now }, rollups, chunks.length > 0 ? mergedFragment(chunks) : NO_DETAIL, droppedOf(carried), carriedProfiles);
    const batch = {
      batchId,
      body: gzipped(json),
      contents: { rollups: rollups.length, requests: requestsIn(rollups), parentTraces: 0, ...detail },
      carried,
      carriedProfiles,
    };
    return { batch, rollups, chunks, jsonBytes: Buffer.byteLength(json) };
  }

  /** Puts a sealed batch's parts back where they were taken from (its id is never used). */
  #unseal(sealed: Sealed): void {
    this.#counts.add(sealed.rollups);
    for (const chunk of sealed.chunks) this.#detailBytes += chunkBytes(chunk);
    this.#detail.unshift(...sealed.chunks);
    addCounters(this.#dropped, sealed.batch.carried);
  }
}

/** A sealed batch with the parts it was made of, until it is known to fit. */
interface Sealed {
  batch: PendingBatch;
  rollups: RollupCell[];
  chunks: DetailChunk[];
  /** The body once inflated, in bytes. */
  jsonBytes: number;
}

/** Whether a sealed batch carries a wire addition (a count of one, or carried figures). */
function carriesAdditions(batch: PendingBatch): boolean {
  return batch.carried.parentTraces > 0 || batch.carriedProfiles;
}

function detailIn(contents: DetailContents): number {
  return contents.samples + contents.spans + contents.profiles;
}

/** What a split can take apart: a cell, or the i-th sample, span and profile of a chunk. */
function rowsIn(contents: Counters): number {
  return contents.rollups + Math.max(contents.samples, contents.spans, contents.profiles);
}

/** A sealed body's batch, to seal again changed (413 halves, additions or detail taken out). */
function opened(body: Uint8Array<ArrayBuffer>): Batch {
  return JSON.parse(new TextDecoder().decode(Bun.gunzipSync(body))) as Batch;
}

/** A batch's JSON as the body sent. */
function gzipped(json: string): Uint8Array<ArrayBuffer> {
  return Bun.gzipSync(json, { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>;
}
