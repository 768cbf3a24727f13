// The tracer's spans: open ones by id (bounded; closed by a timeout if nobody finishes them) and a
// ring of the most recently finished, which the dashboard reads.
import { LIMITS, type Span, type SpanStatus, type TagValue } from '../../core/wire-format.ts';
import { unref } from '../../plugin/runtime/unref.ts';
import { putTag, toTagValue } from './tag-value.ts';

export interface OpenSpan {
  span: Span;
  /** performance.now() at the start, for the duration. */
  started: number;
  /** Where the finished span goes. */
  onFinish: (span: Span) => void;
}

export const TIMED_OUT_TAG = 'bun-apm.timed_out';

export class SpanRegistry {
  readonly #open = new Map<string, OpenSpan>();
  #recent: Span[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Spans never opened because `maxActive` were open already. */
  refused = 0;
  timedOut = 0;

  constructor(
    readonly timeoutMs: number,
    readonly maxActive: number,
    readonly maxRecent: number,
  ) {}

  open(span: Span, onFinish: (span: Span) => void): boolean {
    if (this.#open.size >= this.maxActive) {
      this.refused++;
      return false;
    }
    this.#open.set(span.spanId, { span, started: performance.now(), onFinish });
    this.#startSweeping();
    return true;
  }

  get(spanId: string): OpenSpan | undefined {
    return this.#open.get(spanId);
  }

  /** `endedAt` (performance.now()) when the span ended before it is finished (a response body still being read). */
  finish(spanId: string, status: SpanStatus, error?: string, extraTags?: Record<string, TagValue>, endedAt?: number): Span | undefined {
    const open = this.#open.get(spanId);
    if (open === undefined) return undefined;
    this.#open.delete(spanId);
    const span = open.span;
    span.duration = (endedAt ?? performance.now()) - open.started;
    span.status = status;
    if (error !== undefined) span.error = String(error).slice(0, LIMITS.errorLength);
    for (const [key, value] of Object.entries(extraTags ?? {})) putTag(span.tags, key, toTagValue(value));
    this.remember(span);
    if (this.#open.size === 0) this.#stopSweeping();
    open.onFinish(span);
    return span;
  }

  /** Forgets an open span: nothing is exported (a request that turned out not to be the app's). */
  discard(spanId: string): void {
    this.#open.delete(spanId);
    if (this.#open.size === 0) this.#stopSweeping();
  }

  /** Adds a finished span to the recent ones (the preload's server spans, which the tracer never opens). */
  remember(span: Span): void {
    this.#recent.push(span);
    if (this.#recent.length > this.maxRecent) this.#recent.splice(0, this.#recent.length - this.maxRecent);
  }

  active(): Span[] {
    const now = performance.now();
    return [...this.#open.values()].map(({ span, started }) => ({ ...span, tags: { ...span.tags }, logs: [...span.logs], duration: now - started }));
  }

  recent(): Span[] {
    return [...this.#recent];
  }

  /** Closes every span open longer than the timeout, marked as timed out. */
  sweep(): void {
    const now = performance.now();
    for (const [spanId, { started }] of this.#open) {
      if (now - started < this.timeoutMs) continue;
      this.timedOut++;
      this.finish(spanId, 'error', `span not finished within ${this.timeoutMs} ms`, { [TIMED_OUT_TAG]: true });
    }
  }

  stop(): void {
    this.#stopSweeping();
  }

  #startSweeping(): void {
    if (this.#timer !== undefined) return;
    this.#timer = unref(setInterval(() => this.sweep(), Math.max(10, Math.min(this.timeoutMs / 2, 5000))));
  }

  #stopSweeping(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
