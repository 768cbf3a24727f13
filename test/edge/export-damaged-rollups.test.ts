// The NDJSON export and damaged rollup rows, in workerd: a row of rollup_10s, rollup_minute or
// rollup_hour that the reads leave out (a sketch that does not decode, or numbers the sketch
// contradicts, as an older version or damage would leave them in SQLite) is exported as an
// `unreadable` line naming its table and key, never as data, so the export's totals are the API's
// and those of what was ingested. The fuzz corpus's damaged stored rows are replayed through it too
// (readEverything, test/edge/fuzz/readable.ts, reads every API query and page but not the export).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { HOUR_MS } from '../../src/core/query/window.ts';
import { loadCorpus, type StoredRowsCase } from '../fuzz/corpus.ts';
import { makeBatch } from '../support/batch.ts';
import { DASHBOARD_BINDINGS, readEverything } from './fuzz/readable.ts';
import { apiOk, ingestOk, startEdge, storedRecords } from './support/edge.ts';
import { minuteAgo } from './support/minutes.ts';

type RollupTable = 'rollup_10s' | 'rollup_minute' | 'rollup_hour';
interface Damaged { table: RollupTable; time: number; method: string; route: string; statusClass: string; count: number; durationSum: number; sketch: string }

/** The review's sketch: four bytes of base64 that are no sketch at all. */
const GARBLED = 'AQID+vr6';
/** The corpus's sketch of two values whose sum is Infinity (stored-infinite-sum.json): it decodes, the cell it belongs to does not hold. */
const INFINITE_SUM = 'AQIAAAAAAAAA8H+gyOuF88zhf6DI64XzzOF/AYaqBAI=';

let edge: LocalEdge;
// The minute everything lies in: three requests from makeBatch (two GET /users/:id 200, one POST /orders 503).
const MINUTE = minuteAgo(3);
const INGESTED = { requests: 3, errors: 1 };

beforeAll(async () => {
  edge = await startEdge({ entryPath: join(import.meta.dir, 'fuzz/fixtures/raw-sql-entry.js'), bindings: DASHBOARD_BINDINGS });
  await ingestOk(edge, makeBatch(MINUTE + 10_000));
}, 60_000);

afterAll(async () => {
  await edge?.dispose();
});

const window = () => ({ from: MINUTE - 2 * HOUR_MS, to: Date.now() + 120_000 });

async function writeRow(row: Damaged): Promise<void> {
  const store = await edge.store('shop');
  await store.rawExec(`INSERT OR REPLACE INTO ${row.table} (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
    VALUES (?, ?, ?, ?, ?, 0, ?, 1, 1, 0, ?)`, [row.time, row.method, row.route, row.statusClass, row.count, row.durationSum, { base64: row.sketch }]);
}

const RESOLUTION: Record<RollupTable, string> = { rollup_10s: '10s', rollup_minute: 'minute', rollup_hour: 'hour' };

/** Requests and errors of one resolution's data lines. */
function totals(records: any[], resolution: string): { requests: number; errors: number } {
  const lines = records.filter((r) => r.type === 'rollup' && r.resolution === resolution);
  return { requests: lines.reduce((sum, r) => sum + r.count, 0), errors: lines.reduce((sum, r) => sum + r.errors, 0) };
}

describe('the export leaves damaged rollup rows out as the reads do, and names them', () => {
  test('a damaged row of each rollup table is an unreadable line naming table and key; export totals are the ingested and the API\'s', async () => {
    const before = await storedRecords(edge);
    expect(totals(before, 'minute')).toEqual(INGESTED);
    expect(totals(before, '10s')).toEqual(INGESTED);

    // Keys no sound row has: one per table the export reads (its 10 s rows are the all-routes ones).
    const damaged: Damaged[] = [
      { table: 'rollup_minute', time: MINUTE, method: 'GET', route: '/damaged-minute', statusClass: '2xx', count: 2, durationSum: 2, sketch: GARBLED },
      { table: 'rollup_minute', time: MINUTE, method: 'GET', route: '/infinite-minute', statusClass: '2xx', count: 2, durationSum: 2, sketch: INFINITE_SUM },
      { table: 'rollup_10s', time: MINUTE + 50_000, method: '*', route: '*', statusClass: '2xx', count: 2, durationSum: 2, sketch: GARBLED },
      { table: 'rollup_hour', time: MINUTE - (MINUTE % HOUR_MS), method: 'GET', route: '/damaged-hour', statusClass: '2xx', count: 2, durationSum: 2, sketch: GARBLED },
    ];
    for (const row of damaged) await writeRow(row);

    const records = await storedRecords(edge);
    for (const row of damaged) {
      const named = records.filter((r) => r.type === 'unreadable' && r.table === row.table && r.route === row.route && r.minute === row.time);
      expect([row.table, row.route, named]).toEqual([row.table, row.route, [expect.objectContaining({
        type: 'unreadable', table: row.table, id: expect.any(Number), minute: row.time, method: row.method, route: row.route, statusClass: row.statusClass, problem: expect.any(String),
      })]]);
      // Not also as data.
      expect(records.filter((r) => r.type === 'rollup' && r.resolution === RESOLUTION[row.table] && r.route === row.route && r.minute === row.time)).toEqual([]);
    }
    // Totals: what was ingested, at every resolution; the damaged rows add nothing.
    expect(totals(records, 'minute')).toEqual(INGESTED);
    expect(totals(records, '10s')).toEqual(INGESTED);
    expect(totals(records, 'hour')).toEqual({ requests: 0, errors: 0 });
    expect(records.filter((r) => r.type === 'rollup' && typeof r.sketch === 'string' && r.sketch === GARBLED)).toEqual([]);

    // The API leaves the same rows out, with a warning, and counts the same.
    const { from, to } = window();
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${to}`);
    expect({ requests: summary.requests, errors: summary.errors }).toEqual(INGESTED);
    // Routes read the per-route minutes: the damaged minute rows are left out with a warning.
    const routes = await apiOk(edge, `/api/v1/apps/shop/routes?from=${from}&to=${to}&limit=10000`);
    expect(routes.routes.reduce((sum: number, r: any) => sum + r.requests, 0)).toBe(INGESTED.requests);
    expect(routes.routes.map((r: any) => r.route).sort()).toEqual(['/orders', '/users/:id']);
    expect(routes.warnings?.[0]).toMatch(/2 stored rows could not be read/);
    // A chart of that minute in 10-second steps reads the all-routes 10-second rows: the damaged one is left out.
    const series = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${MINUTE}&to=${MINUTE + 60_000}&step=10000&metric=requests`);
    expect(series.resolution).toBe('10s');
    expect(series.requests.reduce((sum: number, n: number | null) => sum + (n ?? 0), 0)).toBe(INGESTED.requests);
    expect(series.warnings?.[0]).toMatch(/1 stored row could not be read/);

    // The footer counts every line, the unreadable ones included.
    expect(records.length).toBe(before.length + damaged.length);
  }, 60_000);
});

describe('the fuzz corpus\'s damaged stored rollup rows, through the export', () => {
  const cases = loadCorpus().filter((c): c is StoredRowsCase & { file: string } => c.target === 'stored-rows' && c.rows.some((r) => r.table !== 'spans'));

  test('the corpus holds damaged rollup rows', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const entry of cases) {
    test(`${entry.file}: every row the reads leave out is an unreadable line in the export, none is data`, async () => {
      const minute = minuteAgo(1);
      const store = await edge.store('shop');
      const written: Array<{ table: RollupTable; time: number; method: string; route: string }> = [];
      for (const row of entry.rows) {
        if (row.table === 'spans') continue;
        const time = row.table === 'rollup_hour' ? minute - (minute % HOUR_MS) : minute;
        // As corpus-replay.test.ts writes them: an all-routes minute row is in rollup_10s too (migration 7).
        for (const table of (row.table === 'rollup_minute' && row.method === '*' ? ['rollup_minute', 'rollup_10s'] : [row.table]) as RollupTable[]) {
          await store.rawExec(`INSERT OR REPLACE INTO ${table} (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [time, row.method as string, row.route as string, row.statusClass as string, row.count as number, row.errors as number, row.durationSum as number,
            row.durationMin as number, row.durationMax as number, row.bytes as number, { base64: row.sketch as string }]);
          written.push({ table, time, method: row.method as string, route: row.route as string });
        }
      }
      // The reads leave them out (the corpus's own expectation).
      const warned = await readEverything(edge, { ...window(), budgetMs: 3_000 });
      for (const read of entry.expect.warned) if (read !== 'trace') expect(warned[read]?.[0], read).toMatch(/could not be read/);

      const records = await storedRecords(edge);
      for (const row of written) {
        // The export reads the per-route rows of the minute and hour tables and the all-routes rows of the 10-second one.
        const exported = row.table === 'rollup_10s' ? row.method === '*' : row.method !== '*';
        if (!exported) continue;
        const data = records.filter((r) => r.type === 'rollup' && r.resolution === RESOLUTION[row.table] && r.minute === row.time && r.method === row.method && r.route === row.route);
        const named = records.filter((r) => r.type === 'unreadable' && r.table === row.table && r.minute === row.time && r.method === row.method && r.route === row.route);
        expect([row, data.length, named.length]).toEqual([row, 0, 1]);
      }
      // The export's totals of sound rows are the summary's (the damaged rows are in neither).
      const { from, to } = window();
      const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${to}`);
      expect(totals(records.filter((r) => r.minute >= from && r.minute < to), 'minute').requests).toBe(summary.requests);
    }, 60_000);
  }
});
