// The Sql seam over a Durable Object's SQLite storage: the one place the store meets Workers' types.
import type { Sql } from './sql.ts';

/** The Sql of a Durable Object's SQLite storage. */
export function durableObjectSql(storage: DurableObjectStorage): Sql {
  return {
    exec: (query, ...params) => storage.sql.exec(query, ...params),
    transaction: (body) => storage.transactionSync(body),
    get databaseSize() {
      return storage.sql.databaseSize;
    },
  };
}
