// Dashboard at the edge: server time of the main page and of one chart's data over 24 h × 50 routes
// in the local Workers runtime, next to the floor of the /healthz route measured in the same run.
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
// 24 h × 50 routes of minute cells, 100 minutes (5,000 cells) per batch.
for (let first = 0; first < MINUTES; first += 100) {
  const table = new RollupTable();
  for (let m = first; m < Math.min(first + 100, MINUTES); m++) {
    for (let r = 0; r < ROUTES; r++) table.record(start + m * 60_000, 'GET', `/api/resource-${r}/:id`, 200, 5 + random() * 300, 512, false, 10);
  }
  const batch: Batch = {
    version: 1, batchId: `bench-dashboard-${first}-${now}`,
    identity: { app: 'shop', service: 'shop', instance: 'bench', runtime: 'bun', runtimeVersion: Bun.version, sdkVersion: 'bench' },
    window: { start: start + first * 60_000, end: now }, rollups: table.drain(), samples: [], spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
  const response = await fetch(new URL('/v1/ingest', edge.url), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify(batch), keepalive: false });
  if (response.status !== 202) throw new Error(`ingest: ${response.status} ${await response.text()}`);
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
const page = await median('/performance?app=shop&range=24h');
const chart = await median('/performance/data/timeseries?app=shop&range=24h&metric=latency');
const routes = await median('/performance/fragments/routes?app=shop&range=24h');
const apiRoutes = await median(`/api/v1/apps/shop/routes?from=${now - 86_400_000}&to=${now}`);
const apiSummary = await median(`/api/v1/apps/shop/summary?from=${now - 86_400_000}&to=${now}`);
console.log(`bench/dashboard-edge.ts — 24 h × ${ROUTES} routes of minute rollups, local workerd, medians of 15`);
console.log(`  /healthz (floor)              ${floor.toFixed(1)} ms`);
console.log(`  main page (24 h)              ${page.toFixed(1)} ms   (${(page - floor).toFixed(1)} ms above the floor; target < 50 ms)`);
console.log(`  latency chart data (24 h)     ${chart.toFixed(1)} ms`);
console.log(`  routes fragment (24 h)        ${routes.toFixed(1)} ms   (the export API's routes: ${apiRoutes.toFixed(1)} ms, summary: ${apiSummary.toFixed(1)} ms)`);
await edge.dispose();
rmSync(dir, { recursive: true, force: true });
