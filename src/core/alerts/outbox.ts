// The outbox: notifications waiting for their channels, delivered in passes. A pass sends what is
// due (bounded per pass, in parallel), waits for the sends within its time budget, and records each
// outcome; a failure that may pass is retried on a later pass after the shared retry policy's wait,
// until the row expires. What the budget cuts short counts as a timed-out attempt, so nothing is
// left running behind the pass. Rows live in the host's storage (the edge's SQLite).
import { retryWaitMs, type AttemptOutcome, type RetryPolicy } from '../retry-policy.ts';
import type { AlertNotification } from './notification.ts';

export interface OutboxRow {
  key: string;
  channel: string;
  notification: AlertNotification;
  /** Attempts made before this one. */
  attempts: number;
  expiresAt: number;
}

/** How a given-up row ends: `expired` (kept failing until its time ran out) or `rejected` (a failure no retry can fix). */
export type OutboxFailure = 'expired' | 'rejected';

export interface OutboxRows {
  /** Pending rows past their expiry are given up without another attempt. */
  expire(now: number): void;
  /** Pending rows due at `now`, oldest first (a later one of the same rule only once those before it are done). */
  due(now: number, limit: number): OutboxRow[];
  sent(row: OutboxRow, now: number): void;
  /** A failed attempt: retried at `retryAt`, or given up as `finalStatus` when it is null or past the row's expiry. */
  failed(row: OutboxRow, now: number, reason: string, retryAt: number | null, finalStatus: OutboxFailure): void;
}

export interface OutboxOptions {
  rows: OutboxRows;
  /** One attempt at one row; never throws. */
  send: (row: OutboxRow) => Promise<AttemptOutcome>;
  policy: RetryPolicy;
  /** Rows attempted per pass at most. */
  perPass: number;
  /** How long a pass waits for its sends. */
  budgetMs: number;
  /** One line per failed attempt (never a URL or a token: reasons hold none; a refused email names its address). */
  warn: (line: string) => void;
  /** Default Math.random (the jitter). */
  random?: () => number;
}

export interface PassReport {
  delivered: number;
  failed: number;
}

const OUT_OF_TIME: AttemptOutcome = { ok: false, retryable: true, reason: 'timeout (the pass ran out of time)' };

export class Outbox {
  private running: Promise<PassReport> | null = null;

  constructor(private readonly options: OutboxOptions) {}

  /** One pass at a time: a second caller waits for the running pass instead of sending twice. */
  deliverDue(now: number): Promise<PassReport> {
    if (this.running !== null) return this.running;
    this.running = this.pass(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(now: number): Promise<PassReport> {
    const { rows, perPass, budgetMs } = this.options;
    rows.expire(now);
    let due = rows.due(now, perPass);
    const report: PassReport = { delivered: 0, failed: 0 };
    if (due.length === 0) return report;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let outOfTime = false;
    const deadline = new Promise<AttemptOutcome>((resolve) => {
      timer = setTimeout(() => {
        outOfTime = true;
        resolve(OUT_OF_TIME);
      }, budgetMs);
    });
    try {
      // A row sent may let the next one of its rule go (the host's `due` keeps a rule's rows in
      // order): it goes in the same pass, within the pass's rows and time.
      for (let left = perPass; due.length > 0; due = left > 0 && !outOfTime ? rows.due(now, left) : []) {
        left -= due.length;
        await Promise.all(due.map(async (row) => {
          const outcome = await Promise.race([this.options.send(row), deadline]);
          this.record(row, outcome, now, report);
        }));
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    return report;
  }

  private record(row: OutboxRow, outcome: AttemptOutcome, now: number, report: PassReport): void {
    if (outcome.ok) {
      report.delivered++;
      this.options.rows.sent(row, now);
      return;
    }
    report.failed++;
    const retryAt = outcome.retryable ? now + retryWaitMs(this.options.policy, row.attempts + 1, outcome.retryAfterMs, this.options.random) : null;
    this.options.rows.failed(row, now, outcome.reason, retryAt, outcome.retryable ? 'expired' : 'rejected');
    this.options.warn(`alert delivery to ${row.channel} failed (${outcome.reason})${outcome.retryable ? '; retried on a later tick' : '; not retried'}`);
  }
}
