// Counts the SQLite rows a store reads and writes, which Cloudflare bills (and the free plan caps
// per day). Every statement goes through the wrapped Sql; its cursor says how many rows it read
// and wrote once consumed, so cursors are summed when the count is taken, not when they are made.
import type { Cursor, Row, Sql } from '../store/sql.ts';

export interface RowCounts {
  rowsRead: number;
  rowsWritten: number;
}

/** Past this many unsummed cursors the oldest half is summed: they were consumed long ago. */
const MAX_OPEN = 512;

export class SqlMeter {
  #open: Array<Cursor<Row>> = [];
  #rowsRead = 0;
  #rowsWritten = 0;

  /** `sql` with every statement counted. */
  wrap(sql: Sql): Sql {
    const track = (cursor: Cursor<Row>) => {
      this.#open.push(cursor);
      if (this.#open.length > MAX_OPEN) this.#sum(this.#open.splice(0, MAX_OPEN / 2));
    };
    return {
      exec: <T extends Row>(query: string, ...params: Parameters<Sql['exec']>[1][]) => {
        const cursor = sql.exec<T>(query, ...params);
        track(cursor as unknown as Cursor<Row>);
        return cursor;
      },
      transaction: (body) => sql.transaction(body),
      get databaseSize() {
        return sql.databaseSize;
      },
    };
  }

  /** Rows read and written since the last take. */
  take(): RowCounts {
    this.#sum(this.#open);
    this.#open = [];
    const counts = { rowsRead: this.#rowsRead, rowsWritten: this.#rowsWritten };
    this.#rowsRead = 0;
    this.#rowsWritten = 0;
    return counts;
  }

  #sum(cursors: Array<Cursor<Row>>): void {
    for (const cursor of cursors) {
      // Durable Objects' cursors count both; the Sql interface promises only rowsWritten.
      this.#rowsRead += (cursor as { rowsRead?: number }).rowsRead ?? 0;
      this.#rowsWritten += cursor.rowsWritten;
    }
  }
}
