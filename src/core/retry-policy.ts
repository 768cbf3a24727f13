// Which failed sends are worth another try, how long to wait before it, and the loop that applies
// it: one policy for every sender — the exporters (plugin/runtime/send-with-retry.ts), the edge's alert
// outbox and the in-process alert delivery. Network errors and timeouts are always retried; which
// answers are depends on what is sent (the two sets below, side by side so they are decided in one
// place). Waits grow (exponentially, or along a schedule), part of each is drawn at random so that
// many senders don't retry in step, and a receiver's Retry-After may lengthen a wait, capped. The
// loop's sleep is passed in: the Bun side unrefs its timer so a retry never keeps the process alive.

/**
 * Telemetry (batches to the edge, spans to a collector), as OpenTelemetry's exporters decide it:
 * statuses that say "not now" rather than "no". A 500 is final here: the receiver failed on this
 * very payload, and the exporters send one batch at a time, so retrying it would hold every later
 * batch behind one the receiver cannot take.
 */
export const EXPORT_RETRYABLE: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/**
 * A trace collector's answers (OTLP, Zipkin, Jaeger): OTLP/HTTP's own list, 429, 502, 503 and 504;
 * "all other 4xx or 5xx response status codes MUST NOT be retried" (its specification). A 408 is
 * retried to the edge only, which answers it for a body that stalled on the way.
 */
export const COLLECTOR_RETRYABLE: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Alert notifications: the same, and a 500 too. A webhook's receiver answering 500 is most often
 * restarting or failing for a moment, and each notification is retried on its own (the outbox), so
 * one that keeps failing holds nothing else back and expires after its schedule.
 */
export const NOTIFICATION_RETRYABLE: ReadonlySet<number> = new Set([...EXPORT_RETRYABLE, 500]);

export function isRetryableStatus(status: number, retryable: ReadonlySet<number> = NOTIFICATION_RETRYABLE): boolean {
  return retryable.has(status);
}

/** What one attempt came to; `retryAfterMs` is the receiver's own Retry-After, when it gave one. */
export type AttemptOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

/**
 * The outcome of an HTTP answer: 2xx is delivered; a redirect is refused (never followed: it could
 * lead a signed request elsewhere); a retryable status carries its Retry-After. The reason names
 * the status only, never the URL (for Slack the URL is the secret).
 */
export function responseOutcome(status: number, retryAfter: string | null, now: number, retryable: ReadonlySet<number> = NOTIFICATION_RETRYABLE): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  if (status >= 300 && status < 400) return { ok: false, retryable: false, reason: `HTTP ${status} (redirects are not followed)` };
  if (!retryable.has(status)) return { ok: false, retryable: false, reason: `HTTP ${status}` };
  const retryAfterMs = parseRetryAfter(retryAfter, now);
  return { ok: false, retryable: true, reason: `HTTP ${status}`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
}

/**
 * A fetch that threw (no answer): always worth another try. The reason says which kind (`timeout`,
 * or `network error` with the runtime's code when it gives one, e.g. ConnectionRefused), never the
 * error's message: it may quote the URL.
 */
export function fetchErrorOutcome(error: unknown): AttemptOutcome {
  const { name, code } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, retryable: true, reason: 'timeout' };
  return { ok: false, retryable: true, reason: typeof code === 'string' && /^[A-Za-z_]{1,40}$/.test(code) ? `network error (${code})` : 'network error' };
}

/** Retry-After as seconds or an HTTP date → ms to wait; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // A date starts with its day's name: Date.parse would read `-1` or `1.5` as a date long past.
  // Every HTTP date is GMT: the asctime form names no zone, and Date.parse would read it in the process's.
  const date = /^[a-z]{3}/i.test(trimmed) ? Date.parse(/ GMT$/i.test(trimmed) ? trimmed : `${trimmed} GMT`) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryPolicy {
  /** The wait after `failed` failed attempts (1 after the first), before jitter. */
  backoffMs(failed: number): number;
  /** The share of each wait drawn at random: 1 = full jitter (anywhere in [0, wait]), 0.1 = the last tenth, 0 = none. */
  jitter: number;
  /** No wait is longer, a receiver's Retry-After included. */
  maxWaitMs: number;
}

/** initial, 2·initial, 4·initial … up to cap. */
export function exponentialBackoff(initialMs: number, capMs: number): (failed: number) => number {
  return (failed) => Math.min(capMs, initialMs * 2 ** Math.max(0, failed - 1));
}

/** The waits in order; the last one repeats. */
export function scheduledBackoff(waitsMs: readonly number[]): (failed: number) => number {
  return (failed) => waitsMs[Math.min(Math.max(0, failed - 1), waitsMs.length - 1)]!;
}

/**
 * How long to wait after `failed` failed attempts: the policy's backoff with its jitter, or the
 * receiver's Retry-After when longer (a `0` must not skip the backoff); never more than maxWaitMs.
 *
 * @example
 * const wait = retryWaitMs(policy, attempts, outcome.retryAfterMs);
 */
export function retryWaitMs(policy: RetryPolicy, failed: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const backoff = policy.backoffMs(failed) * (1 - policy.jitter + policy.jitter * random());
  return Math.round(Math.min(Math.max(0, backoff, retryAfterMs ?? 0), policy.maxWaitMs));
}

export interface RetryLoopOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Waits before the next attempt; resolving `false` gives the next attempt up (the last outcome stands). */
  sleep: (ms: number) => Promise<void | boolean>;
  /** Default Math.random (tests pass their own). */
  random?: () => number;
}

/**
 * The last attempt's outcome and how many attempts were made.
 *
 * @example
 * const { outcome, attempts } = await withRetries(() => post(url, body), policy, { maxAttempts: 3, sleep });
 */
export async function withRetries<T extends AttemptOutcome>(
  attempt: (index: number) => Promise<T>,
  policy: RetryPolicy,
  options: RetryLoopOptions,
): Promise<{ outcome: T; attempts: number }> {
  const maxAttempts = Math.max(1, options.maxAttempts);
  for (let index = 0; ; index++) {
    const outcome = await attempt(index);
    if (outcome.ok || !outcome.retryable || index + 1 >= maxAttempts) return { outcome, attempts: index + 1 };
    if ((await options.sleep(retryWaitMs(policy, index + 1, outcome.retryAfterMs, options.random))) === false) return { outcome, attempts: index + 1 };
  }
}
