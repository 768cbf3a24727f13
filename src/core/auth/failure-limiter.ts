// Exponential backoff on failures, per key: the first `free` failures cost nothing, then each one
// doubles the wait before the next attempt is even checked. Quiet time forgives failures one by one,
// so a key that stops failing is soon back to normal. Memory is bounded (oldest keys forgotten).

export interface FailureLimiterOptions {
  /** Failures allowed before any wait (default 5). */
  free?: number;
  /** Wait after the first failure past `free`, doubled for each further one, ms (default 1 000). */
  baseMs?: number;
  /** Longest wait, ms (default 15 min). */
  capMs?: number;
  /** One failure is forgiven per this much quiet time since the last, ms (default 15 min). */
  forgiveMs?: number;
  /** Keys remembered at most; the least recently failed are forgotten first (default 10 000). */
  maxKeys?: number;
}

interface Entry {
  failures: number;
  last: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly forgiveMs: number;
  private readonly maxKeys: number;

  constructor(options: FailureLimiterOptions = {}) {
    this.free = options.free ?? 5;
    this.baseMs = options.baseMs ?? 1000;
    this.capMs = options.capMs ?? 15 * 60_000;
    this.forgiveMs = options.forgiveMs ?? 15 * 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Ms until this key may try again, or 0 when it may try now. */
  retryAfterMs(key: string, now: number): number {
    const failures = this.failures(key, now);
    if (failures < this.free) return 0;
    const wait = Math.min(this.capMs, this.baseMs * 2 ** Math.min(failures - this.free, 40));
    return Math.max(0, this.entries.get(key)!.last + wait - now);
  }

  fail(key: string, now: number): void {
    const failures = this.failures(key, now) + 1;
    this.entries.delete(key);
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { failures, last: now });
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** Failures that still count at `now`, after forgiveness; forgets the key at 0. */
  private failures(key: string, now: number): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    const forgiven = Math.floor(Math.max(0, now - entry.last) / this.forgiveMs);
    const left = entry.failures - forgiven;
    if (left <= 0) {
      this.entries.delete(key);
      return 0;
    }
    return left;
  }
}
