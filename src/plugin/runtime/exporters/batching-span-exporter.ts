// The buffering half every exporter shares, after OpenTelemetry's BatchSpanProcessorBase: a
// bounded FIFO that drops the oldest and counts, full batches sent at once, the rest after a
// delay (unref'd timer), one send in flight, flush() and a shutdown that runs once. Every span it
// loses is said in a line, with why: the first loss at once, later ones as a running total at most
// once a minute, and what is left unsaid when it closes.
import type { Span } from '../../../core/wire-format.ts';
import { isExportableSpan } from './exportable-span.ts';
import type { ExitDrain, ExitRequest, SpanExporter } from './span-exporter.ts';
import { unref } from '../unref.ts';
import { quoteAnswer } from '../log.ts';
import type { SendStage } from '../send-with-retry.ts';
import { emptyDrain } from './combine-span-exporters.ts';

export interface BatchingOptions {
  /** Spans kept waiting at most; past it the oldest are dropped and counted (default 2048). */
  maxQueueSize?: number;
  /** Spans per request at most (default 512). */
  maxExportBatchSize?: number;
  /** Longest a span waits before a partial batch is sent, ms (default 5000). */
  scheduledDelayMs?: number;
  /** Where warnings go, unprefixed (default: console.warn with a `bun-apm: ` prefix). Never receives header values. */
  log?: (message: string) => void;
  /** Headers sent (the HTTP exporters'): their values are redacted from the backend's words. */
  headers?: Record<string, string>;
  /** Injected for tests; default Date.now. */
  now?: () => number;
}

/**
 * How a batch goes at exit, built synchronously: the request the final send's child makes (the HTTP
 * exporters), or `true` once delivered on the spot (the console writes its lines). Without it,
 * spans queued at exit are not delivered, and counted.
 */
export type AtExit = (batch: Span[]) => Omit<ExitRequest, 'exporter' | 'spans'> | true;

/** What one delivery attempt (retries included) came to. Deliveries resolve; they never reject. */
export type DeliveryResult = { ok: true; rejected?: number; message?: string } | { ok: false; reason: string };

/**
 * The exporter's hold on one delivery: `signal` gives it up (abandon(): the request on the wire is
 * aborted, a wait between attempts ended), and the delivery says where it is through `onStage`, so
 * the exit knows a batch asleep before a retry (sent again then) from one on the wire (it may arrive).
 */
export interface DeliveryControl {
  signal: AbortSignal;
  onStage: (stage: SendStage) => void;
  /** Why an attempt failed, while the delivery may still retry: the cause a give-up names. */
  onFailedAttempt?: (reason: string) => void;
}

export type Deliver = (batch: Span[], control: DeliveryControl) => Promise<DeliveryResult>;

/** The batch being delivered: where its send is, and how to give it up. */
interface Current {
  batch: Span[];
  stage: SendStage;
  abort: AbortController;
  /** Taken by the exit or given up by abandon(): its outcome is counted there, not again. */
  settled: boolean;
}

export const BATCHING_DEFAULTS = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMs: 5000 } as const;
/**
 * A batch's bytes at most, by its spans' estimated sizes: a batch is encoded in one synchronous call
 * on the app's thread, and 512 spans carrying long query strings had made 7.7 MB and stalled it 300 ms.
 */
export const MAX_BATCH_BYTES = 1 << 20;
/**
 * What one exporter's queued spans may come to encoded at exit, bytes at most, besides the exit's share
 * of time: every body is held in the exiting process until the child has it, and on a fast machine the
 * time share alone had encoded 130-180 MB of big spans for two exporters (+190-250 MB of RSS in the
 * exit, and as much again uncollected at times), more than the child could POST in what is left of the
 * budget. A full default queue (2048 spans) passes it only with spans of 16 KB or more. The rest is counted.
 */
export const MAX_EXIT_BYTES = 32 << 20;
/**
 * A kind a success re-armed is written again only this long after its last line, and losses are
 * counted in a line at most this often: a flapping backend had made one per batch.
 */
const REWARN_MS = 60_000;
/**
 * Causes named in one loss line at most; the rest are summed as other causes. A backend whose
 * answer quotes a request id makes a new reason each batch, and a line must stay one line.
 */
const MAX_CAUSES = 4;

/** Spans lost for one cause since the last loss line. */
interface Loss {
  spans: number;
  /** Reads after a count: `12 pushed out of the full queue (maxQueueSize 2048)`. */
  cause: string;
}

/** About what a span takes encoded: its strings' UTF-8 bytes and a fixed share for ids, times and keys. */
function estimatedSize(span: Span): number {
  let size = 256 + utf8Bytes(span.name) + utf8Bytes(span.error ?? '');
  for (const key in span.tags) size += 16 + utf8Bytes(key) + utf8Bytes(String(span.tags[key]));
  for (const log of span.logs) {
    size += 64 + utf8Bytes(log.message);
    for (const key in log.fields) size += 16 + utf8Bytes(key) + utf8Bytes(String(log.fields[key]));
  }
  return size;
}

/** UTF-8 length, not UTF-16's: a CJK character is one unit and three bytes, and counted as one a batch came to ~3 MiB. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

interface FlushWaiter {
  /** Resolved once every span queued before this sequence number has been sent or dropped. */
  upTo: number;
  resolve: () => void;
}

export class BatchingSpanExporter implements SpanExporter {
  readonly name: string;
  readonly #deliver: Deliver;
  readonly #maxQueueSize: number;
  readonly #batchSize: number;
  readonly #delayMs: number;
  readonly #log: (message: string) => void;
  readonly #headers: Record<string, string> | undefined;
  readonly #now: () => number;
  readonly #atExit: AtExit | undefined;

  #queue: Span[] = [];
  /** Each queued span's estimated size, and their sum. */
  #sizes: number[] = [];
  #queuedBytes = 0;
  /** Sequence numbers: spans ever queued, and spans that have left the queue (sent or dropped). */
  #enqueued = 0;
  #head = 0;
  #inFlight = 0;
  #current: Current | undefined;
  /** Everything queued before this sequence number is due now (set by the delay timer and flush). */
  #dueUpTo = 0;
  #dropped = 0;
  #delivered = 0;
  /** Lost and not yet said in a line, by cause (see #lose); spans said in lines so far. */
  #unsaid = new Map<string, Loss>();
  #said = 0;
  #lossLineAt: number | undefined;
  #lossTimer: ReturnType<typeof setTimeout> | undefined;
  #lastFailure: string | undefined;
  /** Why the last failed attempt failed, until a delivery succeeds. */
  #lastAttemptFailure: string | undefined;
  #running: Promise<void> | undefined;
  #delayTimer: ReturnType<typeof setTimeout> | undefined;
  #kickTimer: ReturnType<typeof setTimeout> | undefined;
  #waiters: FlushWaiter[] = [];
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #warned = new Set<string>();
  /** When each kind was last written. */
  #written = new Map<string, number>();

  constructor(name: string, deliver: Deliver, options: BatchingOptions = {}, atExit?: AtExit) {
    this.name = name;
    this.#atExit = atExit;
    this.#deliver = deliver;
    this.#maxQueueSize = options.maxQueueSize ?? BATCHING_DEFAULTS.maxQueueSize;
    this.#batchSize = Math.min(options.maxExportBatchSize ?? BATCHING_DEFAULTS.maxExportBatchSize, this.#maxQueueSize);
    this.#delayMs = options.scheduledDelayMs ?? BATCHING_DEFAULTS.scheduledDelayMs;
    this.#log = options.log ?? ((message) => console.warn(`bun-apm: ${message}`));
    this.#headers = options.headers;
    this.#now = options.now ?? Date.now;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Spans waiting in the queue (not counting the batch being sent). */
  get queued(): number {
    return this.#queue.length;
  }

  get readyForExit(): boolean {
    // A batch asleep before its retry goes at exit with the queue (drainAtExit); one on the wire does not.
    if (this.#atExit === undefined) return this.#current === undefined && this.#queue.length === 0;
    return this.#current === undefined || this.#current.stage === 'waiting';
  }

  /** Spans the backend accepted. */
  get delivered(): number {
    return this.#delivered;
  }

  /**
   * Why the last delivery failed (refused, an HTTP status, a timeout), while no delivery has succeeded
   * since; else why the last attempt of one still retrying did (a close() giving it up names that).
   */
  get lastFailure(): string | undefined {
    return this.#lastFailure ?? this.#lastAttemptFailure;
  }

  export(spans: readonly Span[]): void {
    try {
      if (this.#closed) return this.#lose(spans.length, 'closed', 'exported after shutdown');
      for (const span of spans) {
        if (isExportableSpan(span)) {
          const size = estimatedSize(span);
          this.#queue.push(span);
          this.#sizes.push(size);
          this.#queuedBytes += size;
          this.#enqueued++;
        } else this.#lose(1, 'malformed', 'malformed (ids must be lowercase hex, times finite)');
      }
      const excess = this.#queue.length - this.#maxQueueSize;
      if (excess > 0) {
        this.#queue.splice(0, excess);
        for (const size of this.#sizes.splice(0, excess)) this.#queuedBytes -= size;
        this.#head += excess;
        this.#lose(excess, 'full', `pushed out of the full queue (maxQueueSize ${this.#maxQueueSize})`);
        this.#settle();
      }
      if (this.#queue.length >= this.#batchSize || this.#queuedBytes >= MAX_BATCH_BYTES) this.#kick();
      else this.#armDelay();
    } catch (error) {
      this.#warnOnce('export', `exporter ${this.name}: export failed: ${(error as Error).message}`);
    }
  }

  flush(): Promise<void> {
    const upTo = this.#enqueued;
    if (this.#settledCount() >= upTo) return Promise.resolve();
    this.#dueUpTo = Math.max(this.#dueUpTo, upTo);
    const done = new Promise<void>((resolve) => this.#waiters.push({ upTo, resolve }));
    void this.#run();
    return done;
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      // Closed first, as OpenTelemetry does: spans arriving while the last flush runs are refused and counted.
      this.#closed = true;
      await this.flush();
      this.#close();
      this.#sayLosses();
    })();
    return this.#shutdown;
  }

  drainAtExit(until = Infinity): ExitDrain {
    const drain = emptyDrain();
    try {
      this.#close();
      // A batch asleep before its next attempt (a Retry-After) was refused, or never arrived: it goes
      // again with the queue, first. One on the wire is cut off by the exit and may have arrived.
      const current = this.#current;
      const held: Span[][] = [];
      if (current !== undefined && !current.settled) {
        current.settled = true;
        if (current.stage === 'waiting' && this.#atExit !== undefined) {
          current.abort.abort();
          held.push(current.batch);
        } else drain.inFlight += current.batch.length;
      }
      const next = () => held.shift() ?? this.#nextBatch();
      let encoded = 0;
      for (let batch = next(); batch.length > 0; batch = next()) {
        // Encoding runs on the exiting app's thread, and what it makes is held until the child has it:
        // past its share of the budget, or of bytes (MAX_EXIT_BYTES), the rest is counted, not encoded.
        if ((performance.now() >= until || encoded >= MAX_EXIT_BYTES) && this.#atExit !== undefined) {
          drain.outOfTime += batch.length;
          continue;
        }
        try {
          const request = this.#atExit?.(batch);
          if (request === undefined) drain.unsent += batch.length;
          else if (request !== true) {
            encoded += request.body.byteLength;
            drain.requests.push({ ...request, exporter: this.name, spans: batch.length });
          }
        } catch {
          drain.unsent += batch.length; // an encoder that throws loses its batch, not the others'
        }
      }
      // The caller counts the drain's spans in its exit line; the losses before it are this exporter's to say.
      this.#dropped += drain.unsent + drain.outOfTime;
      this.#settle();
      this.#sayLosses();
    } catch (error) {
      this.#warnOnce('exit', `exporter ${this.name}: spans could not be prepared at exit (${(error as Error).message})`);
    }
    return drain;
  }

  abandon(): number {
    this.#close();
    let queued = 0;
    for (let batch = this.#nextBatch(); batch.length > 0; batch = this.#nextBatch()) queued += batch.length;
    // The send under way is aborted too: a request left on the wire had held the process open
    // until its timeout (10 s by default) after close() resolved.
    const current = this.#current;
    if (current !== undefined && !current.settled) {
      current.settled = true;
      current.abort.abort();
      queued += current.batch.length;
    }
    // The caller counts those given up; the losses before them are this exporter's to say.
    this.#dropped += queued;
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters = [];
    this.#sayLosses();
    return queued;
  }

  /** Closed for good (spans exported from now on are refused and counted), timers stopped. */
  #close(): void {
    this.#closed = true;
    clearTimeout(this.#delayTimer);
    clearTimeout(this.#kickTimer);
    this.#delayTimer = this.#kickTimer = undefined;
  }

  /** Takes the next batch off the queue: up to the batch size and MAX_BATCH_BYTES, one span at least however large. */
  #nextBatch(): Span[] {
    let count = 0;
    let bytes = 0;
    while (count < this.#batchSize && count < this.#queue.length && (count === 0 || bytes + this.#sizes[count]! <= MAX_BATCH_BYTES)) bytes += this.#sizes[count++]!;
    const batch = this.#queue.splice(0, count);
    this.#sizes.splice(0, count);
    this.#queuedBytes -= bytes;
    this.#head += batch.length;
    return batch;
  }

  #settledCount(): number {
    return this.#head - this.#inFlight;
  }

  #settle(): void {
    const settled = this.#settledCount();
    const still: FlushWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.upTo <= settled) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  /** A full batch is waiting: send soon, but not on the caller's stack. */
  #kick(): void {
    if (this.#running || this.#kickTimer) return;
    this.#kickTimer = unref(setTimeout(() => {
      this.#kickTimer = undefined;
      void this.#run();
    }, 0));
  }

  #armDelay(): void {
    if (this.#delayTimer || this.#closed || this.#queue.length === 0) return;
    this.#delayTimer = unref(setTimeout(() => {
      this.#delayTimer = undefined;
      this.#dueUpTo = Math.max(this.#dueUpTo, this.#enqueued);
      void this.#run();
    }, this.#delayMs));
  }

  #run(): Promise<void> {
    this.#running ??= this.#sendWhileDue().finally(() => {
      this.#running = undefined;
      // Work may have become due after the loop's last check but before this ran (a flush()
      // called by code resumed from the last batch's settle): start again rather than wait.
      if (this.#hasDueWork()) void this.#run();
      else this.#armDelay();
    });
    return this.#running;
  }

  #hasDueWork(): boolean {
    return this.#queue.length >= this.#batchSize || this.#queuedBytes >= MAX_BATCH_BYTES || (this.#queue.length > 0 && this.#head < this.#dueUpTo);
  }

  async #sendWhileDue(): Promise<void> {
    while (this.#hasDueWork()) {
      const batch = this.#nextBatch();
      this.#inFlight = batch.length;
      await this.#send(batch);
      this.#inFlight = 0;
      this.#settle();
    }
  }

  async #send(batch: Span[]): Promise<void> {
    const current: Current = { batch, stage: 'wire', abort: new AbortController(), settled: false };
    this.#current = current;
    let result: DeliveryResult;
    try {
      result = await this.#deliver(batch, {
        signal: current.abort.signal,
        onStage: (stage) => void (current.stage = stage),
        onFailedAttempt: (reason) => void (this.#lastAttemptFailure = reason),
      });
    } catch (error) {
      result = { ok: false, reason: `${(error as Error).name}: ${(error as Error).message}` };
    } finally {
      if (this.#current === current) this.#current = undefined;
    }
    if (current.settled) return; // counted where it was taken (the exit) or given up (abandon)
    current.settled = true;
    if (result.ok) {
      const rejected = Math.min(result.rejected ?? 0, batch.length);
      const message = result.message ? ` (${quoteAnswer(result.message, this.#headers)})` : '';
      this.#delivered += batch.length - rejected;
      this.#lastFailure = this.#lastAttemptFailure = undefined; // the backend takes spans again: spans given up later are not its refusal's
      if (rejected > 0) this.#lose(rejected, `rejected${message}`, `rejected by the backend${message}`);
      // A clean success ends a run of partial successes: the next warning is news again (see REWARN_MS).
      else if (!message) this.#warned.delete('partial');
      else this.#warnOnce('partial', `exporter ${this.name}: backend accepted ${batch.length} span(s) with a warning${message}`);
    } else {
      this.#lastFailure = result.reason;
      // Keyed without the attempts, so that one outage is one cause however many tries each batch had.
      this.#lose(batch.length, `failed ${result.reason.replace(/ after \d+ attempts$/, '')}`, `not delivered (${result.reason})`);
    }
  }

  /** Counts spans lost, and says them: at once if no loss line was written within REWARN_MS, else when it is up. */
  #lose(spans: number, key: string, cause: string): void {
    if (spans <= 0) return;
    this.#dropped += spans;
    const merged = this.#unsaid.has(key) || this.#unsaid.size < MAX_CAUSES ? key : 'other';
    const loss = this.#unsaid.get(merged) ?? { spans: 0, cause };
    loss.spans += spans;
    loss.cause = merged === 'other' ? `for other causes (the last: ${cause})` : cause;
    this.#unsaid.set(merged, loss);
    const since = this.#now() - (this.#lossLineAt ?? -Infinity);
    // A clock stepped back (NTP) counts as due, or a whole outage could pass unsaid.
    if (since < 0 || since >= REWARN_MS) return this.#sayLosses();
    this.#lossTimer ??= unref(setTimeout(() => this.#sayLosses(), REWARN_MS - since));
  }

  /**
   * One line for the spans lost since the last: how many, the running total, and why, e.g.
   * `exporter otlp: 988 more span(s) dropped (1500 in all): not delivered (HTTP 500 from …)`.
   */
  #sayLosses(): void {
    clearTimeout(this.#lossTimer);
    this.#lossTimer = undefined;
    const losses = [...this.#unsaid.values()];
    if (losses.length === 0) return;
    const spans = losses.reduce((sum, loss) => sum + loss.spans, 0);
    const why = losses.length === 1 ? losses[0]!.cause : losses.map((loss) => `${loss.spans} ${loss.cause}`).join('; ');
    const counted = this.#said === 0 ? `${spans} span(s) dropped` : `${spans} more span(s) dropped (${this.#said + spans} in all)`;
    this.#unsaid.clear();
    this.#said += spans;
    this.#lossLineAt = this.#now();
    this.#warn(`exporter ${this.name}: ${counted}: ${why}`);
  }

  #warnOnce(key: string, message: string): void {
    const now = this.#now();
    // Left armed when too soon: an outage that lasts is still written once the minute is up.
    // A clock stepped back (NTP) counts as due, or a whole outage could pass unsaid.
    const since = now - (this.#written.get(key) ?? -Infinity);
    if (this.#warned.has(key) || (since >= 0 && since < REWARN_MS)) return;
    this.#warned.add(key);
    this.#written.set(key, now);
    this.#warn(message);
  }

  #warn(message: string): void {
    try {
      this.#log(message);
    } catch {
      // A broken logger must not break the exporter.
    }
  }
}
