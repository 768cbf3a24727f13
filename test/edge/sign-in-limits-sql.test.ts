// The DashboardSessions object's SQLite-kept sign-in limits (src/edge/dashboard/sql-sign-in-limits.ts)
// over bun:sqlite with the object's own migrations: the same answers as the in-memory SignInLimits
// for any sequence of attempts, rows bounded under a flood of addresses, and writes only on failures
// and on a success that clears something.
import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { SignInLimits, type SignInAttempt } from '../../src/core/auth/sign-in-limits.ts';
import { SIGN_IN_FAILURES_MIGRATION, SIGN_IN_POLICY, SqlSignInLimits } from '../../src/edge/dashboard/sql-sign-in-limits.ts';
import { migrate } from '../../src/edge/store/migrations.ts';
import type { Cursor, Row, Sql, SqlValue } from '../../src/edge/store/sql.ts';
import { bunSql } from './support/bun-sql.ts';

function fresh(): { db: Database; sql: Sql } {
  const db = new Database(':memory:');
  const sql = bunSql(db);
  migrate(sql, [SIGN_IN_FAILURES_MIGRATION]);
  return { db, sql };
}

/** Every statement's written rows, summed. */
function counting(sql: Sql): { sql: Sql; written: () => number } {
  let written = 0;
  return {
    sql: {
      exec<T extends Row = Row>(query: string, ...params: SqlValue[]): Cursor<T> {
        const cursor = sql.exec<T>(query, ...params);
        written += cursor.rowsWritten;
        return cursor;
      },
      transaction: (body) => sql.transaction(body),
      get databaseSize() {
        return sql.databaseSize;
      },
    },
    written: () => written,
  };
}

const rows = (sql: Sql, kind: string) => sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM sign_in_failures WHERE kind = ?', kind).one().n;

describe('SqlSignInLimits', () => {
  test('answers as the in-memory SignInLimits would, for a random mix of clients, devices, credentials and quiet times', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const memory = new SignInLimits();
    const stored = new SqlSignInLimits(fresh().sql);
    let now = 1_700_000_000_000;
    for (let step = 0; step < 4000; step++) {
      now += [0, 200, 1000, 2500, 60_000, 16 * 60_000][Math.floor(random() * 6)]!;
      const attempt: SignInAttempt = { client: `10.0.0.${Math.floor(random() * 4)}`, credential: random() < 0.7 ? 'apikey' : 'basic' };
      if (random() < 0.2) attempt.device = `device-${Math.floor(random() * 3)}`;
      const wait = memory.retryAfterMs(attempt, now);
      expect(stored.retryAfterMs(attempt, now)).toBe(wait);
      if (wait > 0) continue;
      if (random() < 0.85) {
        memory.failed(attempt, now);
        stored.failed(attempt, now);
      } else {
        memory.succeeded(attempt);
        stored.succeeded(attempt);
      }
    }
  });

  test('a flood of distinct addresses keeps at most the cap of rows, forgetting the least recently failed', () => {
    const { sql } = fresh();
    const limits = new SqlSignInLimits(sql, { ...SIGN_IN_POLICY, client: { ...SIGN_IN_POLICY.client, maxKeys: 50 } });
    const now = 1_700_000_000_000;
    for (let i = 0; i < 5; i++) limits.failed({ client: 'victim', credential: 'apikey' }, now + i);
    expect(limits.retryAfterMs({ client: 'victim', credential: 'basic' }, now + 10)).toBeGreaterThan(0);
    const kept = (client: string) => sql.exec('SELECT 1 FROM sign_in_failures WHERE kind = ? AND key = ?', 'client', client).toArray().length === 1;
    for (let i = 0; i < 500; i++) limits.failed({ client: `flood-${i}`, credential: 'basic' }, now + 100 + i);
    expect(rows(sql, 'client')).toBe(50);
    expect(rows(sql, 'credential')).toBe(2);
    // The least recently failed addresses were forgotten (the victim among them), the latest 50 kept.
    expect(kept('victim')).toBe(false);
    expect(kept('flood-449')).toBe(false);
    expect(kept('flood-450')).toBe(true);
    expect(kept('flood-499')).toBe(true);
    // The credential's count is never evicted by addresses: 500 failures on basic hold it at the cap wait.
    expect(limits.retryAfterMs({ client: 'anyone', credential: 'basic' }, now + 1000)).toBeGreaterThan(0);
  });

  test('rows fully forgiven by quiet time are deleted on the next failure', () => {
    const { sql } = fresh();
    const limits = new SqlSignInLimits(sql);
    const now = 1_700_000_000_000;
    for (let i = 0; i < 3; i++) limits.failed({ client: 'old', credential: 'apikey' }, now);
    expect(rows(sql, 'client')).toBe(1);
    limits.failed({ client: 'new', credential: 'basic' }, now + 3 * SIGN_IN_POLICY.client.forgiveMs);
    expect(sql.exec('SELECT key FROM sign_in_failures WHERE kind = ? ORDER BY key', 'client').toArray().map((r) => r.key)).toEqual(['new']);
    expect(sql.exec('SELECT key FROM sign_in_failures WHERE kind = ? ORDER BY key', 'credential').toArray().map((r) => r.key)).toEqual(['basic']);
  });

  test('checks and successes with nothing to clear write nothing; a failure and the success that clears it do', () => {
    const base = fresh();
    const { sql, written } = counting(base.sql);
    const limits = new SqlSignInLimits(sql);
    const now = 1_700_000_000_000;
    const attempt = { client: '10.0.0.1', credential: 'apikey' };
    for (let i = 0; i < 100; i++) {
      limits.retryAfterMs(attempt, now + i);
      limits.succeeded(attempt);
    }
    expect(written()).toBe(0);
    limits.failed(attempt, now + 200);
    const afterFailure = written();
    expect(afterFailure).toBeGreaterThan(0);
    limits.succeeded(attempt);
    expect(written()).toBe(afterFailure + 1);
    limits.succeeded(attempt);
    expect(written()).toBe(afterFailure + 1);
  });
});
