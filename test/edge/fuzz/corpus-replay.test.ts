// Replays the corpus of inputs that once broke the edge (test/fixtures/fuzz-corpus) against the real
// Worker in workerd: batches that must be refused naming their field, quickly and without changing
// what is stored; and rows written straight into the store's SQLite (as an older version or damage
// would leave them) that every read must leave out, say so in its warnings, and never fail on.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { corpusBatch, loadCorpus, type IngestCase, type StoredRowsCase } from '../../fuzz/corpus.ts';
import { makeBatch } from '../../support/batch.ts';
import { cronFirst } from '../alerting/support.ts';
import { minuteAgo } from '../support/minutes.ts';
import { apiOk, ingest, ingestOk, startEdge, storedRecords } from '../support/edge.ts';
import { DASHBOARD_BINDINGS, readEverything } from './readable.ts';

const CORPUS = loadCorpus();
/** Each request of a replay answers within this: the probes once took 9 s to accept and 1.35 s to read. */
const BUDGET_MS = 3_000;
/** Rules that never fire on sound data: a damaged row read as a number would make them fire, or error. */
const RULES = [
  { id: 'slow-p95', name: 'p95 over a day', metric: 'p95', condition: 'gt', threshold: 86_400_000, duration: 3_600_000, severity: 'critical' },
  { id: 'slow-mean', name: 'mean over a day', metric: 'responseTime', condition: 'gt', threshold: 86_400_000, duration: 3_600_000, severity: 'critical' },
];
let edge: LocalEdge;
let tickAt = minuteAgo(0);

beforeAll(async () => {
  edge = await startEdge({ entryPath: join(import.meta.dir, 'fixtures/raw-sql-entry.js'), bindings: { ...DASHBOARD_BINDINGS, ALERT_RULES: JSON.stringify(RULES) } });
  await cronFirst(edge, minuteAgo(1));
  await ingestOk(edge, makeBatch());
});

afterAll(async () => {
  await edge?.dispose();
});

const window = () => ({ from: Date.now() - 3_600_000, to: Date.now() + 120_000 });

describe('batches that once broke the edge are refused naming the field, and change nothing', () => {
  for (const entry of CORPUS.filter((c): c is IngestCase & { file: string } => c.target === 'ingest')) {
    test(`${entry.file}: ${entry.broke}`, async () => {
      const before = await storedRecords(edge);
      const started = performance.now();
      const response = await ingest(edge, corpusBatch(entry, Date.now()), { gzip: true });
      const body = await response.json() as any;
      expect(performance.now() - started).toBeLessThan(BUDGET_MS);
      expect(response.status).toBe(entry.expect.status);
      if (entry.expect.status === 422) {
        expect(body.error.problems.map((p: any) => p.path)).toContain(entry.expect.path);
        expect(await storedRecords(edge)).toEqual(before);
      }
      if (entry.expect.status === 413) {
        expect(body.error.code).toBe(entry.expect.code);
        expect(await storedRecords(edge)).toEqual(before);
      }
      expect(await readEverything(edge, { ...window(), budgetMs: BUDGET_MS })).toEqual({});
    });
  }
});

/**
 * Writes the case's rows into the app's SQLite, in the given minute, past ingest and its validator.
 * The minute is fixed by the caller: the batch that later replaces the rows must land in the same one,
 * even when the clock crosses into the next minute between the two (it did, once, on CI).
 */
async function writeRows(entry: StoredRowsCase, minute: number): Promise<string[]> {
  const store = await edge.store('shop');
  const traceIds: string[] = [];
  for (const row of entry.rows) {
    if (row.table === 'spans') {
      const traceId = crypto.randomUUID().replace(/-/g, '');
      traceIds.push(traceId);
      await store.rawExec(`INSERT INTO spans (trace_id, span_id, name, kind, start_time, duration, status, tags, logs, service, instance)
        VALUES (?, ?, ?, 'server', ?, 5, 'ok', ?, ?, 'fuzz', 'fuzz-corpus')`, [traceId, '00000000000000a1', row.name, minute + 1, row.tags, row.logs]);
      await store.rawExec(`INSERT INTO traces (trace_id, start_time, end_time, duration, name, route, method, status_code, error, span_count, root_known, service)
        VALUES (?, ?, ?, 5, ?, NULL, NULL, NULL, 0, 1, 1, 'fuzz')`, [traceId, minute + 1, minute + 6, row.name]);
      continue;
    }
    const time = row.table === 'rollup_hour' ? minute - (minute % 3_600_000) : minute;
    // An all-routes minute row of an older version is also in rollup_10s, at its minute's start:
    // migration 7 copies the app's last 3 hours of minutes there.
    for (const table of row.table === 'rollup_minute' && row.method === '*' ? ['rollup_minute', 'rollup_10s'] : [row.table]) {
      // OR REPLACE: an all-routes row of this minute exists already; the damaged one takes its place.
      await store.rawExec(`INSERT OR REPLACE INTO ${table} (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [time, row.method, row.route, row.statusClass, row.count, row.errors, row.durationSum, row.durationMin, row.durationMax, row.bytes, { base64: row.sketch }]);
    }
  }
  return traceIds;
}

describe('rows stored before the fix, or damaged, are left out of every read and counted in its warnings', () => {
  for (const entry of CORPUS.filter((c): c is StoredRowsCase & { file: string } => c.target === 'stored-rows')) {
    test(`${entry.file}: ${entry.broke}`, async () => {
      const minute = minuteAgo(0);
      const traceIds = await writeRows(entry, minute);
      const warned = await readEverything(edge, { ...window(), budgetMs: BUDGET_MS, traceIds });
      for (const read of entry.expect.warned) expect(warned[read]?.[0], read).toMatch(/stored rows? could not be read and (was|were) left out/);

      // Alert rules evaluate around the damage: nothing fires and nothing errors.
      tickAt += 60_000;
      const tick = await (await edge.store('shop')).tick(tickAt, 'shop');
      expect(tick).toMatchObject({ evaluated: true, notifications: 0 });

      // The export names the damaged span instead of ending early.
      const records = await storedRecords(edge);
      if (traceIds.length > 0) expect(records.some((r) => r.type === 'unreadable' && r.table === 'spans')).toBe(true);

      // Maintenance rolls up around the damage, and a new batch of the same cells replaces it.
      const report = await (await edge.store('shop')).maintainNow();
      expect(report.unreadable).toBeGreaterThanOrEqual(0);
      const rollups = entry.rows.filter((r) => r.table !== 'spans' && r.method !== '*');
      if (rollups.length > 0) {
        const batch = makeBatch(minute);
        const cell = batch.rollups[0]!;
        batch.rollups = rollups.map((r) => ({ ...cell, method: r.method as string, route: r.route as string, statusClass: r.statusClass as '2xx' }));
        // The batch is folded into the tables by the next read (pending-log.ts): the damaged rows are replaced then.
        await ingestOk(edge, batch);
        const after = await readEverything(edge, { ...window(), budgetMs: BUDGET_MS });
        expect(after.summary).toBeUndefined();
        expect(after.routes).toBeUndefined();
        const routes = await apiOk(edge, `/api/v1/apps/shop/routes?from=${window().from}&to=${window().to}`);
        expect(routes.routes.find((r: any) => r.route === rollups[0]!.route)?.requests).toBe(cell.count);
      }
    });
  }
});
