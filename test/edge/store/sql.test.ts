// The Sql seam over bun:sqlite behaves as the store relies on a Durable Object's storage to:
// BLOBs back as ArrayBuffer, rowsWritten the rows a statement changed, one() strict, transactions atomic.
import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { scalar } from '../../../src/edge/store/sql.ts';
import { bunSql } from '../support/bun-sql.ts';

describe('the Sql seam over bun:sqlite', () => {
  test('values, counts and transactions as the store expects them', () => {
    const sql = bunSql(new Database(':memory:'));
    sql.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, b BLOB)');
    const bytes = new Uint8Array([7, 8, 9]);
    const inserted = [1, 2, 3, 4, 5].map((n) => sql.exec('INSERT INTO t (n, b) VALUES (?, ?)', n, bytes.buffer.slice(0)).rowsWritten);
    expect(inserted).toEqual([1, 1, 1, 1, 1]);
    const blob = sql.exec<{ b: ArrayBuffer }>('SELECT b FROM t WHERE n = ?', 1).one().b;
    expect(blob).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(blob)]).toEqual([...bytes]);
    expect(sql.exec('UPDATE t SET n = n + 10 WHERE n > ?', 2).rowsWritten).toBe(3);
    expect(sql.exec('SELECT * FROM t').rowsWritten).toBe(0);
    expect(sql.exec('DELETE FROM t WHERE n < ?', 10).rowsWritten).toBe(2);
    expect(() => sql.exec('SELECT * FROM t WHERE n = 0').one()).toThrow(/exactly one/);
    expect(() => sql.exec('SELECT * FROM t').one()).toThrow(/exactly one/);
    expect(scalar(sql, 'SELECT COUNT(*) FROM t')).toBe(3);
    expect(() => sql.transaction(() => {
      sql.exec('DELETE FROM t');
      throw new Error('rolled back');
    })).toThrow('rolled back');
    expect([...sql.exec<{ n: number }>('SELECT n FROM t ORDER BY n')].map((r) => r.n)).toEqual([13, 14, 15]);
    expect(sql.databaseSize).toBeGreaterThan(0);
  });
});
