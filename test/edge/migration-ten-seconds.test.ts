// Migration 7 on a store of version 4, in SQLite outside workerd: every row kept, the app's last 3
// hours of minutes (its all-routes rows) copied into the 10-second table at their minute's start,
// instances gain pid and what they reported (null until their next batch).
import { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { bunSql } from './support/bun-sql.ts';

const HOUR = 3_600_000;

describe('migration 7', () => {
  test('a version-4 store is upgraded in place: data kept, recent minutes charted at 10 s', async () => {
    // Loaded by a computed path: the store's modules are type-checked against Workers types, which the Bun side does not have.
    const store = '../../src/edge/store';
    const { migrate, MIGRATIONS } = await import(`${store}/migrations.ts`);
    const { listInstances } = await import(`${store}/instance-guard.ts`);
    const db = new Database(':memory:');
    const sql = bunSql(db);
    migrate(sql, MIGRATIONS.slice(0, 4));
    const now = Date.now();
    const recent = now - (now % 60_000) - 10 * 60_000;
    const old = now - (now % 60_000) - 5 * HOUR;
    for (const [time, method, count] of [[recent, 'GET', 5], [recent, '*', 5], [old, 'GET', 7], [old, '*', 7]] as const) {
      db.run(`INSERT INTO rollup_minute (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
              VALUES (?, ?, ?, '2xx', ?, 0, 10, 1, 3, 0, x'01')`, [time, method, method === '*' ? '*' : '/a', count]);
    }
    db.run(`INSERT INTO instances VALUES ('old-1:1', 'api', 'bun', '1.4', '0.1', 1, 2, 5, 1, 2, 3, 4, 0, NULL)`);
    expect(migrate(sql)).toBe(MIGRATIONS.length);
    const minutes = db.query('SELECT time, method, count FROM rollup_minute ORDER BY time, method').all();
    expect(minutes).toHaveLength(4);
    const copied = db.query('SELECT time, method, route, count FROM rollup_10s ORDER BY method').all();
    expect(copied).toEqual([{ time: recent, method: '*', route: '*', count: 5 }]);
    const [instance] = listInstances(sql);
    expect(instance).toMatchObject({ instance: 'old-1:1', pid: null, reportedUntil: null, reportedFrom: null, reportedRequests: null, batches: 5 });
  });
});
