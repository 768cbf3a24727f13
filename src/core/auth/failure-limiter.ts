// Slows down guessing: a client with too many failed sign-ins in a window is refused until it ends.

export interface FailureLimiterOptions {
  /** Failures allowed per window before refusing (default 5). */
  maxFailures?: number;
  /** Window length, ms (default 60 000). */
  windowMs?: number;
  /** Clients remembered at most; the oldest are forgotten first (default 10 000). */
  maxClients?: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;

  constructor(options: FailureLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
  }

  /** Ms until this client may try again, or 0 when it may try now. */
  retryAfterMs(client: string, now: number): number {
    const entry = this.failures.get(client);
    if (!entry) return 0;
    if (now - entry.since >= this.windowMs) {
      this.failures.delete(client);
      return 0;
    }
    return entry.count >= this.maxFailures ? entry.since + this.windowMs - now : 0;
  }

  fail(client: string, now: number): void {
    const entry = this.failures.get(client);
    if (entry && now - entry.since < this.windowMs) {
      entry.count++;
      return;
    }
    if (this.failures.size >= this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(client, { count: 1, since: now });
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
