// Dashboard at the edge: server time of the main page and of chart data over 50 routes — the last
// hour in 10-second cells as the preload sends them, the 23 before in minutes — in the local Workers
// runtime, next to the floor of the /healthz route measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEdge } from '../scripts/local-edge.ts';
import { RollupTable } from '../src/core/rollup.ts';
import type { Batch } from '../src/core/wire-format.ts';
import { seededRandom } from '../test/support/random.ts';

const ROUTES = 50;
const MINUTES = 24 * 60;
const KEY = 'bench-ingest-key-0123456789';
const DASH = 'bench-dashboard-key-0123456789';
const random = seededRandom(3);
const dir = mkdtempSync(join(tmpdir(), 'bun-apm-bench-dash-'));
const edge = await startLocalEdge({ persistDir: dir, bindings: { INGEST_KEYS: `shop:${KEY}`, DASHBOARD_API_KEY: DASH, API_KEYS: `*:${DASH}` } });

const now = Date.now();
const start = now - (now % 60_000) - MINUTES * 60_000;
const lastHour = now - (now % 10_000) - 3_600_000;
let batches = 0;
async function send(table: RollupTable, from: number): Promise<void> {
  const batch: Batch = {
    version: 1, batchId: `bench-dashboard-${++batches}-${now}`,
    identity: { app: 'shop', service: 'shop', instance: 'bench', runtime: 'bun', runtimeVersion: Bun.version, sdkVersion: 'bench' },
    window: { start: from, end: now }, rollups: table.drain(), samples: [], spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
  const response = await fetch(new URL('/v1/ingest', edge.url), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(batch), keepalive: false });
  if (response.status !== 202) throw new Error(`ingest: ${response.status} ${await response.text()}`);
}
// 23 h × 50 routes of minute cells, 100 minutes (5,000 cells) per batch.
for (let first = 0; first < MINUTES - 60; first += 100) {
  const table = new RollupTable();
  for (let m = first; m < Math.min(first + 100, MINUTES - 60); m++) {
    for (let r = 0; r < ROUTES; r++) table.record(start + m * 60_000, 'GET', `/api/resource-${r}/:id`, 200, 5 + random() * 300, 512, false, 10);
  }
  await send(table, start + first * 60_000);
}
// The last hour × 50 routes in 10-second cells: 18,000 cells, 100 cells (10 s) per route and batch… 4,500 per batch.
for (let first = 0; first < 360; first += 90) {
  const table = new RollupTable(10_000);
  for (let i = first; i < first + 90; i++) {
    for (let r = 0; r < ROUTES; r++) table.record(lastHour + i * 10_000, 'GET', `/api/resource-${r}/:id`, 200, 5 + random() * 300, 512, false, 2);
  }
  await send(table, lastHour + first * 10_000);
}

// Steady state: the store's alarm has rolled the older minutes into hours (it runs every 5 minutes).
await ((await edge.store('shop')) as unknown as { maintainNow(): Promise<unknown> }).maintainNow();

async function median(path: string, runs = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const response = await fetch(new URL(path, edge.url), { headers: { 'x-api-key': DASH } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const floor = await median('/healthz');
const results: string[] = [];
for (const range of ['1h', '15m', '24h'] as const) {
  const page = await median(`/performance?app=shop&range=${range}`);
  const chart = await median(`/performance/data/timeseries?app=shop&range=${range}&metric=latency`);
  const routes = await median(`/performance/fragments/routes?app=shop&range=${range}`);
  const tiles = await median(`/performance/fragments/summary?app=shop&range=${range}`);
  results.push(`  ${range.padEnd(4)} main page ${page.toFixed(1).padStart(6)} ms (${(page - floor).toFixed(1)} above the floor; target ≤ 50 ms)   latency chart ${chart.toFixed(1)} ms   routes ${routes.toFixed(1)} ms   tiles ${tiles.toFixed(1)} ms`);
}
const live = await median('/api/v1/apps/shop/live');
console.log(`bench/dashboard-edge.ts — ${ROUTES} routes: the last hour in 10-second cells, 23 h before in minutes; local workerd, medians of 15`);
console.log(`  /healthz (floor)  ${floor.toFixed(1)} ms;  /api/v1/apps/shop/live ${live.toFixed(1)} ms`);
for (const line of results) console.log(line);
await edge.dispose();
rmSync(dir, { recursive: true, force: true });
