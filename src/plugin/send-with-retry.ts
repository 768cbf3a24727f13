// Sends one export request with the OpenTelemetry exporter retry rules: only network errors,
// 429, 502, 503 and 504 are retried, with exponential backoff and jitter, honouring Retry-After,
// a bounded number of attempts and a timeout per attempt.
import { originalFetch } from './original-fetch.ts';
import { unref } from './unref.ts';

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
}

export type SendOutcome =
  | { ok: true; status: number; attempts: number; body: string }
  | { ok: false; retryable: boolean; status?: number; attempts: number; reason: string };

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Retry-After as seconds or an HTTP date → ms to wait; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff: a random wait in [0, min(cap, initial·2^attempt)]. */
export function backoffMs(attempt: number, options: RetryOptions = {}): number {
  const initial = options.initialBackoffMs ?? 1000;
  const cap = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  return Math.round(random() * Math.min(cap, initial * 2 ** attempt));
}

/** A sleep that never keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    unref(setTimeout(resolve, ms));
  });
}

/**
 * POSTs `body` to `url`, retrying what may succeed later. Resolves (never rejects) with what happened.
 *
 * @example
 * const outcome = await sendWithRetry('https://edge.example/v1/ingest', { method: 'POST', body });
 * if (!outcome.ok && !outcome.retryable) warnOnce(outcome.reason);
 */
export async function sendWithRetry(url: string, init: RequestInit, options: RetryOptions = {}): Promise<SendOutcome> {
  const maxAttempts = options.maxAttempts ?? 5;
  const doFetch = options.fetch ?? originalFetch;
  let last: SendOutcome = { ok: false, retryable: true, attempts: 0, reason: 'not sent' };
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    let wait: number | undefined;
    try {
      const response = await doFetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      const body = await response.text().catch(() => '');
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, attempts: attempt + 1, body };
      const retryable = isRetryableStatus(response.status);
      last = { ok: false, retryable, status: response.status, attempts: attempt + 1, reason: `HTTP ${response.status} from ${url}: ${body.slice(0, 200)}` };
      if (!retryable) return last;
      wait = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      last = { ok: false, retryable: true, attempts: attempt + 1, reason: `${(error as Error).name}: ${(error as Error).message} (${url})` };
    }
    if (attempt + 1 < maxAttempts) await sleep(Math.min(wait ?? backoffMs(attempt, options), options.maxBackoffMs ?? 30_000));
  }
  return last;
}
