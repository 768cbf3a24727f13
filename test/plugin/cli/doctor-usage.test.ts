// `bun-apm doctor` against the real edge in workerd: its probe's answer says what the app used
// today against the free plan, and warns before a quota runs out (without failing the check).
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { runChecks, usageOf } from '../../../src/plugin/cli/doctor.ts';
import { makeBatch } from '../../support/batch.ts';
import { apiOk, ingestOk, KEYS, startEdge } from '../../edge/support/edge.ts';

const DAY = 86_400_000;
let edge: LocalEdge | undefined;
afterAll(async () => {
  await edge?.dispose();
});

function appDir(endpoint: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-usage-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
  writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${endpoint}\nBUN_APM_INGEST_KEY=${KEYS.shopIngest}\n`);
  return dir;
}

describe('doctor: usage', () => {
  test('the edge check says what the app used today, and warns when a free quota is heading out', async () => {
    edge = await startEdge();
    const endpoint = edge.url.href.replace(/\/$/, '');
    let checks = await runChecks(appDir(endpoint), {});
    let check = checks.find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(true);
    // Its own key check is the app's first request today (a read: it stores nothing).
    expect(check.detail).toMatch(/accepts the ingest key for app "shop" \(HTTP 200\); today \(UTC\) this app used 1 of 100,000 Worker requests, 1 of 100,000 Durable Object requests, \d+ of 100,000 SQLite rows written, \d+ of 5,000,000 SQLite rows read \(PLAN free\)$/);
    expect(check.warnings).toEqual([]);

    // At 00:30 UTC by the store's clock, 4,500+ rows written project past the 100,000 a day: 5,000
    // cells of new rows (100 routes over 50 minutes), written when the store folds them (a read folds).
    const store = await edge.store('shop');
    const now = Date.now();
    await store.setClockOffset(Math.floor(now / DAY) * DAY + 30 * 60_000 - now);
    const cell = makeBatch().rollups[0]!;
    const first = now - (now % 60_000) - 50 * 60_000;
    const rollups = Array.from({ length: 5_000 }, (_, k) => ({ ...cell, seconds: undefined, minute: first + Math.floor(k / 100) * 60_000, route: `/r${k % 100}` }));
    await ingestOk(edge, { ...makeBatch(), rollups, spans: [], samples: [] });
    await apiOk(edge, '/api/v1/apps/shop/summary');
    checks = await runChecks(appDir(endpoint), {});
    check = checks.find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(true);
    expect(check.warnings!.length).toBeGreaterThan(0);
    expect(check.warnings!.join('\n')).toMatch(/this app used [\d,]+ of the free plan's 100,000 SQLite rows written a day/);
  }, 60_000);

  test('an edge older than the usage counts, or any other body, adds nothing', () => {
    expect(usageOf('{"status":"accepted"}')).toBeNull();
    expect(usageOf('not json')).toBeNull();
    expect(usageOf('{"usage":{"quotas":"x"}}')).toBeNull();
  });
});
