// Usage counts are written by the calls themselves, often enough that an evicted store keeps them:
// a call that breaks a silence (or is the object's first) writes at once, and calls in a busy spell
// write once a minute. A review saw an app's 20 accepted batches read back as 0 ingest requests: the
// object, evicted between its calls, started each time a new 5-minute wait before any write. Here an
// eviction is a restart of the runtime over the same storage (the memory goes, the storage stays).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { FLUSH_EVERY_MS, SPARSE_MS } from '../../src/edge/usage/usage-counter.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, eventually, ingestOk, startEdge } from './support/edge.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-usage-eviction-'));
let edge: LocalEdge | undefined;

afterAll(async () => {
  await edge?.dispose();
  rmSync(stateDir, { recursive: true, force: true });
});

/** The store is evicted: its memory is gone, its storage is not. */
async function evicted(): Promise<LocalEdge> {
  await edge?.dispose();
  edge = await startEdge({ persistDir: stateDir });
  return edge;
}

async function ingestRequestsToday(running: LocalEdge): Promise<number> {
  const report = await apiOk(running, '/api/v1/apps/shop/usage?days=1');
  return report.days[0].ingestRequests;
}

test('a store evicted between sparse calls keeps every call\'s counts', async () => {
  edge = await startEdge({ persistDir: stateDir });
  for (let call = 1; call <= 3; call++) {
    // The batch comes SPARSE_MS after the object's last call (the read), by the store's clock.
    await (await edge.store('shop')).setClockOffset(SPARSE_MS + 1_000);
    await ingestOk(edge, makeBatch(Date.now() - call * 1_000));
    // Read after an eviction: the read itself is the new object's first call, and counts once it is made.
    expect(await ingestRequestsToday(await evicted())).toBe(call);
  }
}, 60_000);

test('in a busy spell the counts are written once a minute; an eviction loses at most the last minute of them', async () => {
  edge = await evicted(); // a fresh object over the same storage
  const before = await ingestRequestsToday(edge);
  // The read above was the object's first call (written); these follow at once: they wait.
  for (let i = 0; i < 5; i++) await ingestOk(edge, makeBatch(Date.now() - i * 1_000));
  // A minute later by the store's clock, the next call writes all of them.
  await (await edge.store('shop')).setClockOffset(FLUSH_EVERY_MS + 1_000);
  await ingestOk(edge, makeBatch(Date.now()));
  await ingestOk(edge, makeBatch(Date.now() - 2_000));
  // The last batch came within the minute: the one an eviction now loses.
  expect(await ingestRequestsToday(await evicted())).toBe(before + 6);
}, 60_000);

test('a burst under a minute, then silence: the alarm writes its counts a minute after the last write, before any eviction', async () => {
  edge = await evicted();
  const before = await ingestRequestsToday(edge); // the object's first call: written
  const store = await edge.store('shop');
  for (let i = 0; i < 5; i++) await ingestOk(edge, makeBatch(Date.now() - i * 1_000));
  // Was: the alarm set for maintenance only, minutes away, and the five lost at the eviction after the burst.
  const { nextAlarm } = await store.status();
  expect(nextAlarm).not.toBeNull();
  expect(nextAlarm!).toBeLessThanOrEqual(Date.now() + FLUSH_EVERY_MS);
  // The alarm comes when due: a minute later by the store's clock.
  const firedAt = Date.now();
  await store.setClockOffset(FLUSH_EVERY_MS + 1_000);
  await store.fireAlarmNow();
  await eventually(async () => ((await store.status()).lastMaintenance >= firedAt ? true : undefined), 10_000, 'the alarm');
  expect(await ingestRequestsToday(await evicted())).toBe(before + 5);
}, 60_000);
