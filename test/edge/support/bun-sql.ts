// The store's Sql seam (src/edge/store/sql.ts) over bun:sqlite, so the store's own functions run in
// Bun against a real SQLite database: a fast, precise failure beside the workerd scenarios.
// Where it differs from a Durable Object's storage.sql, it is said here:
// - BLOBs come back as ArrayBuffer (bun:sqlite returns Uint8Array): copied, as the store expects.
// - rowsWritten counts the rows each statement inserted, updated or deleted (SQLite's total_changes
//   before and after, so triggers and RETURNING count too). Cloudflare's count also includes every
//   index entry written, so it is higher for tables with indexes: compare row counts, not bills.
// - one() throws unless there is exactly one row, as Cloudflare's does; rows are read eagerly.
// - databaseSize is the page count times the page size (what SQLite itself reports).
import { Database } from 'bun:sqlite';
import { migrate, MIGRATIONS } from '../../../src/edge/store/migrations.ts';
import type { Cursor, Row, Sql, SqlValue } from '../../../src/edge/store/sql.ts';

/** The store's Sql interface over a bun:sqlite database. */
export function bunSql(db: Database): Sql {
  const totalChanges = db.query<{ n: number }, []>('SELECT total_changes() AS n');
  return {
    exec<T extends Row = Row>(query: string, ...params: SqlValue[]): Cursor<T> {
      const before = totalChanges.get()!.n;
      const rows = (db.query(query).all(...(params as never[])) as Array<Record<string, unknown>>).map(asStoredRow) as T[];
      const rowsWritten = totalChanges.get()!.n - before;
      return {
        toArray: () => rows,
        one: () => {
          if (rows.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${rows.length === 0 ? 'no results' : 'more than one'}`);
          return rows[0]!;
        },
        rowsWritten,
        [Symbol.iterator]: () => rows[Symbol.iterator](),
      };
    },
    transaction: <T>(body: () => T): T => db.transaction(body)(),
    get databaseSize() {
      return db.query<{ n: number }, []>('SELECT page_size * page_count AS n FROM pragma_page_size(), pragma_page_count()').get()!.n;
    },
  };
}

/** A row as a Durable Object returns it: BLOBs as ArrayBuffer. */
function asStoredRow(row: Record<string, unknown>): Row {
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array) row[key] = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  }
  return row as Row;
}

/** A fresh in-memory database, migrated with the store's real migrations (or the first `upTo` of them). */
export function freshStore(upTo = MIGRATIONS.length): { db: Database; sql: Sql } {
  const db = new Database(':memory:');
  const sql = bunSql(db);
  // All of them as the store runs them (its READABLE_BY), else the first `upTo` as a version that knew only those.
  migrate(sql, upTo === MIGRATIONS.length ? MIGRATIONS : MIGRATIONS.slice(0, upTo));
  return { db, sql };
}
