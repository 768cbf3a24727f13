// An older edge deployed over stores a newer one migrated in a way it cannot work with (a rollback):
// every call to such a store is refused with 503, naming both versions and the remedy, and the
// store is left as it was. It had run on the newer tables without a word (a review).
import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../src/edge/store/migrations.ts';
import { makeBatch } from '../support/batch.ts';
import { api, ingestOk, startEdge } from './support/edge.ts';
import { sqliteFiles } from './support/persisted-files.ts';

const DASHBOARD_KEY = 'dash-0123456789abcdef';
const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-too-new-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** Each app store's SQLite file, as a newer edge with one more migration that older ones cannot read would leave it. */
function migrateFurther(): number {
  let changed = 0;
  for (const file of sqliteFiles(stateDir)) {
    const db = new Database(file);
    try {
      if (db.query("SELECT 1 FROM sqlite_master WHERE name = '_readable_by'").get() === null) continue;
      db.run('INSERT INTO _migrations (version, applied_at) VALUES (?, ?)', [MIGRATIONS.length + 1, Date.now()]);
      db.run('UPDATE _readable_by SET version = ?', [MIGRATIONS.length + 1]);
      changed++;
    } finally {
      db.close();
    }
  }
  return changed;
}

test('a store migrated past this edge answers 503 naming both versions, in the API and the dashboard; the store is left as it was', async () => {
  let edge = await startEdge({ persistDir: stateDir });
  try {
    await ingestOk(edge, makeBatch(Date.now() - 5_000));
  } finally {
    await edge.dispose();
  }
  expect(migrateFurther()).toBe(1);
  edge = await startEdge({ persistDir: stateDir, bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
  const remedy = `this store was written by a newer bun-apm (schema ${MIGRATIONS.length + 1}, readable from ${MIGRATIONS.length + 1}); this edge knows ${MIGRATIONS.length}: deploy the newer version again`;
  try {
    const { status, body } = await api(edge, '/api/v1/apps/shop/summary');
    expect([status, body.error?.code ?? body.code]).toEqual([503, 'store_too_new']);
    expect(JSON.stringify(body)).toContain(remedy);
    // The dashboard says the same (it answered a 500 that named nothing): to a program, and to a browser as a page.
    const read = await fetch(new URL('/performance/fragments/summary?app=shop', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
    expect(read.status).toBe(503);
    expect(((await read.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'store_too_new', message: expect.stringContaining(remedy) });
    const page = await fetch(new URL('/performance?app=shop', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY, accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('deploy the newer version again');
  } finally {
    await edge.dispose();
  }
}, 60_000);
