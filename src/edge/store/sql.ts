// The storage interface the store's functions take: SQL with bound parameters and a transaction.
// The AppStore Durable Object passes its SQLite storage (durable-object-sql.ts); tests pass Bun's
// SQLite (test/edge/support/bun-sql.ts). Nothing here knows about Workers.

export type SqlValue = string | number | null | ArrayBuffer;
export type Row = Record<string, SqlValue>;

export interface Cursor<T extends Row> extends Iterable<T> {
  toArray(): T[];
  one(): T;
  readonly rowsWritten: number;
}

export interface Sql {
  /** Runs one statement; `params` are always bound, never spliced into the text. */
  exec<T extends Row = Row>(query: string, ...params: SqlValue[]): Cursor<T>;
  /** Runs `body` in one transaction: all its writes or none. */
  transaction<T>(body: () => T): T;
  /** Bytes the database takes. */
  readonly databaseSize: number;
}

/** The first column of the first row, or null when there is none. */
export function scalar(sql: Sql, query: string, ...params: SqlValue[]): SqlValue {
  for (const row of sql.exec(query, ...params)) {
    for (const key in row) return row[key]!;
  }
  return null;
}
