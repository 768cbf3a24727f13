// The store's migrations over bun:sqlite: applied in order on an empty database, and from every
// older version with the rows already stored kept as they were.
import type { Database } from 'bun:sqlite';
import { describe, expect, test } from 'bun:test';
import { migrate, MIGRATIONS, READABLE_BY } from '../../../src/edge/store/migrations.ts';
import { bunSql, freshStore } from '../support/bun-sql.ts';

const LATEST = MIGRATIONS.length;

/** Tables and indexes the migrations' own text creates, named from the statements (not from the code under test). */
function createdNames(upTo: number): string[] {
  const names: string[] = [];
  for (const statement of MIGRATIONS.slice(0, upTo).flat()) {
    const match = /^\s*CREATE (?:UNIQUE )?(?:TABLE|INDEX) (\w+)/.exec(statement);
    if (match) names.push(match[1]!);
  }
  return names.sort();
}

const schemaNames = (db: Database) => db.query<{ name: string }, []>(
  "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' AND name NOT IN ('_migrations', '_readable_by') AND sql IS NOT NULL ORDER BY name",
).all().map((r) => r.name);

const versions = (db: Database) => db.query<{ version: number; applied_at: number }, []>('SELECT version, applied_at FROM _migrations ORDER BY rowid').all();

const tables = (db: Database) => db.query<{ name: string }, []>(
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('_migrations', '_readable_by') ORDER BY name",
).all().map((r) => r.name);

/** One row in every table, its values chosen from each column's declared type. */
function fillEveryTable(db: Database, tag: number): void {
  for (const table of tables(db)) {
    const columns = db.query<{ name: string; type: string }, []>(`PRAGMA table_info(${table})`).all();
    const values = columns.map((c) => c.type === 'INTEGER' ? tag : c.type === 'REAL' ? tag + 0.5 : c.type === 'BLOB' ? new Uint8Array([tag, 1, 2]) : `${table}-${c.name}-${tag}`);
    db.query(`INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...values);
  }
}

const dump = (db: Database, table: string) => db.query<Record<string, unknown>, []>(`SELECT * FROM ${table}`).all();

describe('store migrations', () => {
  test('on an empty database every migration applies once, in order, creating what its statements name', () => {
    const { db, sql } = freshStore(0);
    expect(versions(db)).toEqual([]);
    const before = Date.now();
    expect(migrate(sql)).toBe(LATEST);
    const applied = versions(db);
    expect(applied.map((v) => v.version)).toEqual(Array.from({ length: LATEST }, (_, i) => i + 1));
    for (let i = 1; i < applied.length; i++) expect(applied[i]!.applied_at).toBeGreaterThanOrEqual(applied[i - 1]!.applied_at);
    expect(applied[0]!.applied_at).toBeGreaterThanOrEqual(before);
    expect(schemaNames(db)).toEqual(createdNames(LATEST));
    // A second run finds nothing to do.
    expect(migrate(sql)).toBe(LATEST);
    expect(versions(db)).toHaveLength(LATEST);
  });

  for (let from = 1; from < LATEST; from++) {
    test(`from version ${from}: the later migrations apply and every stored row is kept`, () => {
      const { db, sql } = freshStore(from);
      expect(versions(db).map((v) => v.version)).toEqual(Array.from({ length: from }, (_, i) => i + 1));
      fillEveryTable(db, from);
      const stored = new Map(tables(db).map((table) => [table, dump(db, table)]));
      migrate(sql);
      expect(versions(db).map((v) => v.version)).toEqual(Array.from({ length: LATEST }, (_, i) => i + 1));
      expect(schemaNames(db)).toEqual(createdNames(LATEST));
      for (const [table, rows] of stored) {
        const after = dump(db, table);
        expect(after).toHaveLength(rows.length);
        // Columns added later are new keys; the old ones hold what they held.
        after.forEach((row, i) => expect(row).toMatchObject(rows[i]!));
      }
    });
  }

  test('migration 7 copies the last 3 hours of all-routes minutes into the 10-second table, and nothing else', () => {
    const { db, sql } = freshStore(6);
    const now = Date.now();
    const minute = (t: number) => t - (t % 60_000);
    const rows = [
      { time: minute(now - 10 * 60_000), method: '*', route: '*' }, // recent, all routes: copied
      { time: minute(now - 170 * 60_000), method: '*', route: '*' }, // recent, all routes: copied
      { time: minute(now - 200 * 60_000), method: '*', route: '*' }, // older than 3 hours: not copied
      { time: minute(now - 10 * 60_000), method: 'GET', route: '/a' }, // one route: not copied
    ];
    rows.forEach((r, i) => db.query(`INSERT INTO rollup_minute (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
      VALUES (?, ?, ?, '2xx', ?, 0, ?, 1, 2, 3, ?)`).run(r.time, r.method, r.route, i + 1, (i + 1) * 1.5, new Uint8Array([i])));
    migrate(sql);
    const expected = rows.map((r, i) => ({ ...r, count: i + 1 })).filter((r) => r.method === '*' && r.time >= now - 3 * 3_600_000);
    const copied = db.query<{ time: number; method: string; route: string; count: number }, []>('SELECT time, method, route, count FROM rollup_10s ORDER BY time').all();
    expect(copied).toEqual(expected.sort((a, b) => a.time - b.time));
    expect(bunSql(db).exec('SELECT COUNT(*) AS n FROM rollup_minute').one().n).toBe(rows.length);
  });
});

describe('a store a newer bun-apm migrated further (a rollback)', () => {
  /** A store at this version, then as a newer edge with one more migration left it, saying which versions may read it. */
  function newerStore(readableBy: number): Database {
    const { db } = freshStore();
    db.run('INSERT INTO _migrations (version, applied_at) VALUES (?, ?)', [LATEST + 1, Date.now()]);
    db.run('UPDATE _readable_by SET version = ?', [readableBy]);
    return db;
  }

  test('one whose newer migration keeps older versions working is run on, left as it is', () => {
    const db = newerStore(LATEST);
    expect(migrate(bunSql(db))).toBe(LATEST + 1);
    expect(db.query('SELECT version FROM _readable_by').get()).toEqual({ version: LATEST });
  });

  test('one that needs the newer version is refused, saying so, with nothing written (it had been run on without a word)', () => {
    const db = newerStore(LATEST + 1);
    const before = versions(db);
    expect(() => migrate(bunSql(db))).toThrow(`this store was written by a newer bun-apm (schema ${LATEST + 1}, readable from ${LATEST + 1}); this edge knows ${LATEST}: deploy the newer version again`);
    expect(versions(db)).toEqual(before);
  });

  test('this version says which versions may read what it wrote', () => {
    expect(freshStore().db.query('SELECT version FROM _readable_by').get()).toEqual({ version: READABLE_BY });
    expect(READABLE_BY).toBeLessThanOrEqual(LATEST);
  });
});
