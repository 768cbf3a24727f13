// DashboardSessions: the edge dashboard's sign-in state in one Durable Object, so it holds across
// every isolate — open sessions in SQLite (a logout ends a session everywhere, a restart keeps the
// rest) and the failure limits in SQLite too: the runtime evicts an idle object within a minute or
// two and a deploy restarts it, and limits kept in memory would then hand out fresh guesses.
import { DurableObject } from 'cloudflare:workers';
import type { Session } from '../../core/auth/session.ts';
import type { SignInAttempt } from '../../core/auth/sign-in-limits.ts';
import type { Env } from '../env.ts';
import { migrate } from '../store/migrations.ts';
import { durableObjectSql } from '../store/durable-object-sql.ts';
import type { Sql } from '../store/sql.ts';
import { SIGN_IN_FAILURES_MIGRATION, SqlSignInLimits } from './sql-sign-in-limits.ts';

/** The name of the one instance. */
export const SESSIONS_OBJECT = 'dashboard';
/** Open sessions kept at most; past it the oldest are closed first. */
const MAX_SESSIONS = 10_000;

/** This object's own schema, append-only like the AppStore's. */
const SESSION_MIGRATIONS: ReadonlyArray<readonly string[]> = [
  [
    `CREATE TABLE sessions (id TEXT PRIMARY KEY, subject TEXT NOT NULL, expires INTEGER NOT NULL, opened INTEGER NOT NULL) WITHOUT ROWID`,
    `CREATE INDEX sessions_expires ON sessions (expires)`,
  ],
  // 2: the sign-in failure limits, which used to be kept in memory.
  SIGN_IN_FAILURES_MIGRATION,
];

export class DashboardSessions extends DurableObject<Env> {
  private readonly sql: Sql;
  private readonly limits: SqlSignInLimits;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = durableObjectSql(ctx.storage);
    this.limits = new SqlSignInLimits(this.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, SESSION_MIGRATIONS);
    });
  }

  retryAfterMs(attempt: SignInAttempt, now: number): number {
    return this.limits.retryAfterMs(attempt, now);
  }

  failed(attempt: SignInAttempt, now: number): void {
    this.limits.failed(attempt, now);
  }

  succeeded(attempt: SignInAttempt): void {
    this.limits.succeeded(attempt);
  }

  openSession(session: Session, now: number): void {
    this.sql.transaction(() => {
      this.sql.exec('DELETE FROM sessions WHERE expires <= ?', now);
      this.sql.exec('INSERT OR REPLACE INTO sessions (id, subject, expires, opened) VALUES (?, ?, ?, ?)', session.id, session.subject, session.expires, now);
      this.sql.exec('DELETE FROM sessions WHERE id IN (SELECT id FROM sessions ORDER BY opened DESC, id LIMIT -1 OFFSET ?)', MAX_SESSIONS);
    });
  }

  isOpen(sessionId: string, now: number): boolean {
    return this.sql.exec('SELECT 1 AS open FROM sessions WHERE id = ? AND expires > ?', sessionId, now).toArray().length > 0;
  }

  closeSession(sessionId: string): void {
    this.sql.exec('DELETE FROM sessions WHERE id = ?', sessionId);
  }
}
