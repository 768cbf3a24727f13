// Sends one export request under the shared retry policy (core/retry-policy.ts): network errors, timeouts,
// 408, 429, 502, 503 and 504 are retried (a 500 is final for telemetry) with exponential backoff and
// full jitter, honouring Retry-After, a bounded number of attempts and a timeout per attempt.
import { EXPORT_RETRYABLE, exponentialBackoff, responseOutcome, withRetries, type RetryPolicy } from '../../core/retry-policy.ts';
import { originalFetch } from './original-fetch.ts';
import { unref } from './unref.ts';
import { readAnswer } from './read-answer.ts';
import { quoteAnswer } from './log.ts';
import { redactUrl } from './exporters/endpoint-url.ts';

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff, ms (default 1000); doubles each attempt. */
  initialBackoffMs?: number;
  /** Cap on one backoff, ms (default 30 000). */
  maxBackoffMs?: number;
  /** Timeout of one attempt, ms (default 10 000). */
  timeoutMs?: number;
  /** Injected for tests; default Math.random. */
  random?: () => number;
  /** Injected for tests; default the original fetch. */
  fetch?: typeof fetch;
  /** Gives the send up: aborts the request on the wire and ends a wait between attempts (abandon()). */
  signal?: AbortSignal;
  /** Told when the send goes on the wire and when it sleeps between attempts: at exit, a batch asleep is sent again, one on the wire may have arrived. */
  onStage?: (stage: SendStage) => void;
  /**
   * Told why each attempt failed, as it fails, and how its request ended: what a send given up while
   * still retrying had met; `retryAfterMs`, the wait an answer asked for (Retry-After), if any.
   */
  onFailedAttempt?: (reason: string, ending: AttemptEnding, retryAfterMs?: number) => void;
  /** Ends with the process (a trace exporter's send): at lastCallExports() a wait is ended for an attempt now, and none begun past the budget. The edge's batches are kept for its final flush instead. */
  endAtLastCall?: boolean;
  /** The answers tried again (default EXPORT_RETRYABLE, the edge's; a collector's: COLLECTOR_RETRYABLE). */
  retryable?: ReadonlySet<number>;
}

/**
 * How a failed attempt's request ended: an answer that failed it, no answer at all (refused, DNS, TLS,
 * reset), its timeout, or halted by bun-apm itself (the app stopped serving: no news of the receiver).
 */
export type AttemptEnding = 'answered' | 'no answer' | 'timed out' | 'halted';

/** Where a send is: a request on the wire, or asleep until its next attempt (a backoff or a Retry-After). */
export type SendStage = 'wire' | 'waiting';

export type SendOutcome =
  | { ok: true; status: number; attempts: number; body: string }
  | { ok: false; retryable: boolean; status?: number; attempts: number; reason: string };

type Attempt =
  | { ok: true; status: number; body: string }
  | { ok: false; retryable: boolean; status?: number; reason: string; retryAfterMs?: number; ending?: AttemptEnding };

/**
 * The longest Retry-After honoured. The backoff cap bounds this sender's own waits only: a receiver
 * asking for longer is waited for (one export is in flight, so later spans queue, bounded, and the
 * oldest drop), up to this, past which a stuck or hostile answer would hold the exports for good.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The policy of these options: backoff doubling from initialBackoffMs, full jitter, capped at maxBackoffMs; a Retry-After up to MAX_RETRY_AFTER_MS. */
export function exportRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const cap = options.maxBackoffMs ?? 30_000;
  return { backoffMs: exponentialBackoff(options.initialBackoffMs ?? 1000, cap), jitter: 1, maxWaitMs: Math.max(cap, MAX_RETRY_AFTER_MS) };
}

/** A sleep that never keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    unref(setTimeout(resolve, ms));
  });
}

// Bun's fetch holds the event loop open while it waits: once the app has stopped serving, an export
// to a slow edge would keep a finished process alive until its timeout. Halted, sends fail at once
// (retryable: the data stays for the final flush).
let halt = new AbortController();
// Retries asleep: resumeExports() wakes them all, one asleep since before the halt too (a final flush
// waits for it; its unref'd timer would not hold the process). Each leaves when its sleep ends: a race
// on one shared promise had kept every halted retry's reaction until the resume.
const sleepers = new Set<() => void>();
/** Of them, those of sends that end with the process (endAtLastCall). */
const lastCallSleepers = new Set<() => void>();
/**
 * The process is ending (a signal, the end of the loop) by this performance.now(): retries asleep are
 * woken for an attempt now, and a wait that would end past it is not begun (the send fails there). A
 * batch waiting out a Retry-After of minutes had held the exporter's one send, and everything queued
 * behind it, past the exit.
 */
let lastCallUntil: number | undefined;

function wakeableSleep(ms: number, signal?: AbortSignal, endAtLastCall = false): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      sleepers.delete(wake);
      lastCallSleepers.delete(wake);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    if (signal?.aborted) return resolve();
    const timer = unref(setTimeout(wake, ms));
    sleepers.add(wake);
    if (endAtLastCall) lastCallSleepers.add(wake);
    signal?.addEventListener('abort', wake);
  });
}

/** Aborts the sends in flight, and fails those that start, until resumeExports(). */
export function haltExports(): void {
  halt.abort();
}

export function resumeExports(): void {
  if (!halt.signal.aborted) return;
  halt = new AbortController();
  lastCallUntil = undefined; // a server started again: the process goes on
  for (const wake of sleepers) wake();
}

/** The final flush is under way, for `budgetMs`: wakes the trace exporters' retries asleep, for an attempt now and waits only within it. */
export function lastCallExports(budgetMs: number): void {
  lastCallUntil = performance.now() + budgetMs;
  for (const wake of lastCallSleepers) wake();
}

/**
 * POSTs `body` to `url`, retrying what may succeed later. Resolves (never rejects) with what happened.
 *
 * @example
 * const outcome = await sendWithRetry('https://edge.example/v1/ingest', { method: 'POST', body });
 * if (!outcome.ok && !outcome.retryable) warnOnce(outcome.reason);
 */
export async function sendWithRetry(url: string, init: RequestInit, options: RetryOptions = {}): Promise<SendOutcome> {
  const doFetch = options.fetch ?? originalFetch;
  const given = options.signal;
  const givenUp: Attempt = { ok: false, retryable: false, reason: `given up (${url})` };
  const attempt = async (): Promise<Attempt> => {
    const tried = await attemptOnce();
    if (!tried.ok && tried !== givenUp) {
      const { ending, ...failed } = tried;
      options.onFailedAttempt?.(failed.reason, ending ?? 'answered', failed.retryAfterMs);
      return failed;
    }
    return tried;
  };
  const attemptOnce = async (): Promise<Attempt> => {
    const halted = halt.signal;
    if (given?.aborted) return givenUp;
    if (halted.aborted) return { ok: false, retryable: true, reason: `not sent: the app has stopped serving (${url})`, ending: 'halted' };
    options.onStage?.('wire');
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    try {
      const signal = AbortSignal.any([timeout, halted, ...(given ? [given] : [])]);
      const response = await doFetch(url, { ...init, redirect: 'manual', signal });
      const body = await readAnswer(response).catch(() => '');
      const outcome = responseOutcome(response.status, response.headers.get('retry-after'), Date.now(), options.retryable ?? EXPORT_RETRYABLE);
      if (outcome.ok) return { ok: true, status: response.status, body };
      // The exporters' own endpoint: its URL and answer help whoever reads the log. A redirect is not
      // followed (the key would go wherever it points): where it points is the fix to name.
      const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
      const said = location !== null && URL.canParse(location, url)
        ? `redirects to ${redactUrl(new URL(location, url).href)} (not followed: set the endpoint to where it points)`
        : quoteAnswer(body, init.headers, url);
      const reason = `HTTP ${response.status} from ${url}: ${said}`;
      return { ...outcome, status: response.status, reason };
    } catch (error) {
      if (given?.aborted) return givenUp;
      const ending = halted.aborted ? 'halted' : timeout.aborted ? 'timed out' : 'no answer';
      return { ok: false, retryable: true, reason: `${(error as Error).name}: ${(error as Error).message} (${url})`, ending };
    }
  };
  // After the last call, a wait past its end is not begun: the attempt before it is the last, and final.
  let outOfTime = false;
  const { outcome, attempts } = await withRetries(attempt, exportRetryPolicy(options), {
    maxAttempts: options.maxAttempts ?? 5,
    sleep: async (ms) => {
      // A last call whose end has passed with the process still here (a server started later) no longer counts.
      const now = performance.now();
      if (options.endAtLastCall && lastCallUntil !== undefined && now < lastCallUntil && now + ms > lastCallUntil) {
        outOfTime = true;
        return false;
      }
      options.onStage?.('waiting');
      await wakeableSleep(ms, given, options.endAtLastCall);
    },
    ...(options.random !== undefined && { random: options.random }),
  });
  if (outcome.ok) return { ...outcome, attempts };
  const { retryAfterMs: _wait, ...failed } = outcome;
  return { ...failed, retryable: failed.retryable && !outOfTime, attempts };
}
