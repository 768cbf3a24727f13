// A token bucket per app (INGEST_RATE_LIMIT events/s): past it, ingest answers 503 with the
// seconds to wait, and the sender retries the same batch later (stored once by its id).

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /** `rate` events per second, bursting to one second's worth. */
  constructor(private readonly rate: number, now: number) {
    this.tokens = rate;
    this.updatedAt = now;
  }

  /**
   * Takes `events` tokens, or says how many seconds until there will be enough. A batch larger
   * than one second's worth passes when the bucket is full and leaves it in debt.
   */
  take(events: number, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    const needed = Math.min(events, this.rate);
    if (this.tokens >= needed) {
      this.tokens -= events;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((needed - this.tokens) / this.rate)) };
  }

  /** Returns what a batch took when it was not stored after all (its client sends it again). */
  giveBack(events: number): void {
    this.tokens = Math.min(this.rate, this.tokens + events);
  }
}
