// Custom storage: records go to the user's handler in batches (full, or after flushInterval);
// a handler that throws or rejects is logged once and its batch dropped and counted. At exit a
// handler cannot run (it may be async): what is pending is only counted (writeAtExit).
import { EXIT_BUDGET_MS, settlesWithin } from '../../plugin/runtime/exit-budget.ts';
import type { Log } from '../../plugin/runtime/log.ts';
import { quoteThrown } from '../../plugin/runtime/quote-thrown.ts';
import { unref } from '../../plugin/runtime/unref.ts';
import type { PerformanceMetrics } from '../types.ts';

const MAX_PENDING = 10_000;
/** Records with the handler at most: past it, batches wait in the queue (a handler that hangs holds no more). */
const MAX_HANDING = 10_000;
/** How long close() waits for the handler, ms: as the tracer's close() and the preload's budget at exit. */
export const CLOSE_WAIT_MS = EXIT_BUDGET_MS;

export interface CustomStorageOptions {
  handler: (metrics: PerformanceMetrics[]) => void | Promise<void>;
  batchSize: number;
  flushInterval: number;
  log: Log;
}

export class CustomStorage {
  /** Records dropped: the queue was full or the handler failed. */
  dropped = 0;
  #pending: PerformanceMetrics[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = new Set<Promise<void>>();
  /** Records in the batches the handler has not finished with. */
  #handing = 0;

  constructor(readonly options: CustomStorageOptions) {}

  add(metrics: PerformanceMetrics): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending.push(metrics);
    if (this.#pending.length >= this.options.batchSize) this.#send();
    else if (this.#timer === undefined) {
      this.#timer = unref(setTimeout(() => this.#send(), this.options.flushInterval));
    }
  }

  async flush(): Promise<void> {
    // Sent again after each wait: a queue held back while the handler had its fill goes then.
    for (this.#send(); this.#inFlight.size > 0; this.#send()) await Promise.all([...this.#inFlight]);
  }

  /**
   * Hands on what is pending and waits for the handler, CLOSE_WAIT_MS at most (a handler that never
   * settles had held `await monitor.close()` for good); past it, what it still has is counted once.
   */
  async close(): Promise<void> {
    if (await settlesWithin(this.flush(), CLOSE_WAIT_MS)) return;
    const left = this.unfinished();
    if (left > 0) this.options.log.warnOnce('custom-storage-close', `performanceMonitor.close(): ${left} record(s) not handed on by storage.customHandler within ${CLOSE_WAIT_MS} ms; given up`);
  }

  /** Records pending or with the handler. */
  unfinished(): number {
    return this.#pending.length + this.#handing;
  }

  /** At exit the handler is not called (its work could not finish): the records it was not given. */
  writeAtExit(): number {
    return this.#pending.length;
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    if (this.#handing >= MAX_HANDING) {
      // The handler has not finished with as many: the queue waits (and fills, and drops) instead.
      this.#timer = unref(setTimeout(() => this.#send(), this.options.flushInterval));
      return;
    }
    const batch = this.#pending;
    this.#pending = [];
    this.#handing += batch.length;
    const call = (async () => {
      try {
        await this.options.handler(batch);
      } catch (error) {
        this.dropped += batch.length;
        this.options.log.warnOnce('custom-storage', `performanceMonitor: storage.customHandler failed (${quoteThrown(error)}); its records were dropped, the app is unaffected`);
      } finally {
        this.#handing -= batch.length;
      }
    })();
    const tracked = call.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
