// The sign-in failure limits of core/auth/sign-in-limits.ts, kept in the DashboardSessions object's
// SQLite storage instead of its memory, so an eviction (an idle object goes after a minute or two)
// or a deploy does not hand every address a fresh set of guesses. One row per limited key: its
// failures and the time of the last; quiet-time forgiveness is computed from those two, so reads
// never write. Writes happen only on a failure (one upsert per limiter it counts in, plus the
// clean-up of rows fully forgiven) and when a success clears a client or device that had failed.
import type { SignInAttempt } from '../../core/auth/sign-in-limits.ts';
import type { Sql } from '../store/sql.ts';

/** The same policy as SignInLimits' defaults (see core/auth/sign-in-limits.ts and docs/security.md). */
interface Policy {
  /** Failures allowed before any wait. */
  free: number;
  /** Wait after the first failure past `free`, doubled for each further one, ms. */
  baseMs: number;
  /** Longest wait, ms. */
  capMs: number;
  /** One failure is forgiven per this much quiet time since the last, ms. */
  forgiveMs: number;
  /** Rows kept at most; past it the least recently failed are forgotten first. */
  maxKeys: number;
}

export type LimitKind = 'client' | 'credential' | 'device';

export const SIGN_IN_POLICY: Readonly<Record<LimitKind, Policy>> = {
  client: { free: 5, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 15 * 60_000, maxKeys: 10_000 },
  credential: { free: 20, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 60_000, maxKeys: 100 },
  device: { free: 5, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 15 * 60_000, maxKeys: 10_000 },
};

/** Longest key stored; a client is an address, a credential `apikey`/`basic`, a device a short random id. */
const MAX_KEY_LENGTH = 256;

/** Appended to the DashboardSessions schema (its migration 2). */
export const SIGN_IN_FAILURES_MIGRATION: readonly string[] = [
  // `forgotten` = last + failures × forgiveMs: from then on every failure is forgiven and the row is dead.
  `CREATE TABLE sign_in_failures (kind TEXT NOT NULL, key TEXT NOT NULL, failures INTEGER NOT NULL, last INTEGER NOT NULL, forgotten INTEGER NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID`,
  `CREATE INDEX sign_in_failures_forgotten ON sign_in_failures (forgotten)`,
  `CREATE INDEX sign_in_failures_last ON sign_in_failures (kind, last)`,
];

interface Row {
  failures: number;
  last: number;
  [column: string]: number;
}

export class SqlSignInLimits {
  constructor(
    private readonly sql: Sql,
    private readonly policy: Readonly<Record<LimitKind, Policy>> = SIGN_IN_POLICY,
  ) {}

  /** Ms before this attempt may be checked; 0 to check it now. Reads only. */
  retryAfterMs(attempt: SignInAttempt, now: number): number {
    if (attempt.device !== undefined) return this.wait('device', attempt.device, now);
    return Math.max(this.wait('client', attempt.client, now), this.wait('credential', attempt.credential, now));
  }

  failed(attempt: SignInAttempt, now: number): void {
    this.sql.transaction(() => {
      this.sql.exec('DELETE FROM sign_in_failures WHERE forgotten <= ?', now);
      if (attempt.device !== undefined) {
        this.fail('device', attempt.device, now);
        return;
      }
      this.fail('client', attempt.client, now);
      this.fail('credential', attempt.credential, now);
    });
  }

  /** The client (or device) is cleared, the credential's count is not (as SignInLimits.succeeded). */
  succeeded(attempt: SignInAttempt): void {
    const [kind, key] = attempt.device !== undefined ? (['device', attempt.device] as const) : (['client', attempt.client] as const);
    // Look first: the usual success has nothing to clear, and must not cost a write.
    if (this.row(kind, key) === null) return;
    this.sql.exec('DELETE FROM sign_in_failures WHERE kind = ? AND key = ?', kind, stored(key));
  }

  private wait(kind: LimitKind, key: string, now: number): number {
    const policy = this.policy[kind];
    const row = this.row(kind, key);
    if (row === null) return 0;
    const failures = standing(row, now, policy);
    if (failures < policy.free) return 0;
    const wait = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(failures - policy.free, 40));
    return Math.max(0, row.last + wait - now);
  }

  private fail(kind: LimitKind, key: string, now: number): void {
    const policy = this.policy[kind];
    const row = this.row(kind, key);
    const failures = (row === null ? 0 : standing(row, now, policy)) + 1;
    this.sql.exec(
      'INSERT OR REPLACE INTO sign_in_failures (kind, key, failures, last, forgotten) VALUES (?, ?, ?, ?, ?)',
      kind, stored(key), failures, now, now + failures * policy.forgiveMs,
    );
    // Bounded: a flood of new keys forgets the least recently failed ones, never grows the table past the cap.
    if (row === null) {
      this.sql.exec(
        'DELETE FROM sign_in_failures WHERE kind = ? AND key IN (SELECT key FROM sign_in_failures WHERE kind = ? ORDER BY last DESC, key LIMIT -1 OFFSET ?)',
        kind, kind, policy.maxKeys,
      );
    }
  }

  private row(kind: LimitKind, key: string): Row | null {
    return this.sql.exec<Row>('SELECT failures, last FROM sign_in_failures WHERE kind = ? AND key = ?', kind, stored(key)).toArray()[0] ?? null;
  }
}

/** Failures that still count at `now`, after one is forgiven per quiet `forgiveMs`. */
function standing(row: Row, now: number, policy: Policy): number {
  const forgiven = Math.floor(Math.max(0, now - row.last) / policy.forgiveMs);
  return Math.max(0, row.failures - forgiven);
}

function stored(key: string): string {
  return key.length > MAX_KEY_LENGTH ? key.slice(0, MAX_KEY_LENGTH) : key;
}
