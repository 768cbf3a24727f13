// A store learns its app's name from the runtime (the object's name), from batches and from ticks,
// and keeps it in its meta table: an alarm that wakes the object after an eviction gets no name from
// the runtime (checked: ctx.id.name is undefined there). A store whose first call was a read knew
// the name only from the runtime and never stored it, even after batches, so its alarm's alerts went
// out with an empty app and a dashboard link of none (a review).
import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';
import { sqliteFiles } from './support/persisted-files.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-app-name-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** The app names the stores' SQLite files hold in their meta table, once the runtime is stopped. */
function storedAppNames(): string[] {
  const names: string[] = [];
  for (const file of sqliteFiles(stateDir)) {
    const db = new Database(file, { readonly: true });
    try {
      const row = db.query("SELECT value FROM meta WHERE key = 'app'").get() as { value: string } | null;
      if (row) names.push(row.value);
    } catch {
      // another object's file (the dashboard's sessions): no meta table
    } finally {
      db.close();
    }
  }
  return names;
}

test('a store first called by a read, then sent batches, keeps its app name for an alarm after an eviction', async () => {
  const edge = await startEdge({ persistDir: stateDir });
  try {
    expect((await apiOk(edge, '/api/v1/apps/shop/rules')).rules).toEqual([]);
    await ingestOk(edge, makeBatch(Date.now() - 5_000));
  } finally {
    await edge.dispose();
  }
  expect(storedAppNames()).toEqual(['shop']);
});
