// Runs a send until it succeeds, fails for good, or runs out of attempts, waiting between attempts
// as the retry policy says. The sleep is passed in: the host decides how to wait (the Bun side
// unrefs its timer so a retry never keeps the process alive).
import { retryWaitMs, type AttemptOutcome, type RetryPolicy } from './retry-policy.ts';

export interface RetryLoopOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
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
    await options.sleep(retryWaitMs(policy, index + 1, outcome.retryAfterMs, options.random));
  }
}
