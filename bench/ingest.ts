// Ingest benchmark on the local Workers runtime: batches of 1,000 detail records + 200 rollup cells
// into one AppStore, end to end over HTTP (gzip, parse, validate, RPC, merge, write), next to the
// floor measured in the same run and the same Durable Object: the same rows inserted with plain
// INSERTs through the same HTTP front door, with no parsing, validation or merging.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEdge } from '../scripts/local-edge.ts';
import { RollupTable } from '../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../src/core/trace-context.ts';
import type { Batch, DetailSample } from '../src/core/wire-format.ts';
import { seededRandom } from '../test/support/random.ts';

const BATCHES = Number(process.env.BATCHES ?? 60);
const WARMUP = 5;
const SAMPLES_PER_BATCH = 1_000;
const CELLS_PER_BATCH = 200;
/** Instances flushing into the same minute: the first batch of a minute inserts its cells, the rest merge. */
const INSTANCES = 6;
const INGEST_KEY = 'bench-ingest-key-0123456789';
const random = seededRandom(1);

function makeBenchBatch(i: number, base: number): Batch {
  const minute = base + Math.floor(i / INSTANCES) * 60_000;
  const table = new RollupTable();
  // 50 routes × 2 methods × 2 status classes = 200 cells, ~20 requests each.
  for (let r = 0; r < 50; r++) {
    for (const method of ['GET', 'POST']) {
      for (const status of [200, 503]) {
        for (let k = 0; k < 20; k++) table.record(minute + k * 1000, method, `/api/resource-${r}/:id`, status, 5 + random() * 200, 512);
      }
    }
  }
  const rollups = table.drain();
  if (rollups.length !== CELLS_PER_BATCH) throw new Error(`expected ${CELLS_PER_BATCH} cells, got ${rollups.length}`);
  const samples: DetailSample[] = Array.from({ length: SAMPLES_PER_BATCH }, (_, k) => ({
    timestamp: minute + (k % 60) * 1000, method: k % 3 ? 'GET' : 'POST', path: `/api/resource-${k % 50}/${k}`, route: `/api/resource-${k % 50}/:id`,
    statusCode: k % 20 ? 200 : 503, duration: 5 + random() * 200, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36',
    memoryUsage: { rss: 80_000_000, heapUsed: 30_000_000, heapTotal: 40_000_000 }, cpuUsage: 12.5,
    traceId: newTraceId(), spanId: newSpanId(), responseSize: 512,
  }));
  return {
    version: 1,
    batchId: `bench-${base}-${String(i).padStart(6, '0')}`,
    identity: { app: 'bench', service: 'api', instance: `host-${i % INSTANCES}:1`, runtime: 'bun', runtimeVersion: Bun.version, sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 60_000 },
    rollups, samples, spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-bench-'));
const edge = await startLocalEdge({ entry: 'local', persistDir: stateDir, bindings: { INGEST_KEYS: `bench:${INGEST_KEY}` } });
try {
  const store = await edge.store('bench');
  const base = Date.now() - 3 * 3_600_000 - ((Date.now() - 3 * 3_600_000) % 60_000);
  const batches = Array.from({ length: BATCHES + WARMUP }, (_, i) => makeBenchBatch(i, base));
  // Bodies are compressed before timing: the client's gzip is not the edge's cost.
  const bodies = batches.map((batch) => Bun.gzipSync(JSON.stringify(batch)));
  const ingestUrl = new URL('/v1/ingest', edge.url);
  const floorUrl = new URL('/__bench/floor?app=bench', edge.url);
  const ingestMs: number[] = [];
  const frontDoorMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < batches.length; i++) {
    // Interleaved: the real path and the floor take turns, so machine noise hits both alike.
    let start = performance.now();
    const response = await fetch(ingestUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bodies[i]!,
    });
    await response.arrayBuffer();
    const ingestTime = performance.now() - start;
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    // The same body again: everything before the store writes (HTTP, gunzip, parse, validate, RPC), then 200 duplicate.
    start = performance.now();
    const again = await fetch(ingestUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bodies[i]!,
    });
    await again.arrayBuffer();
    const frontDoorTime = performance.now() - start;
    if (again.status !== 200) throw new Error(`duplicate answered ${again.status}`);
    await store.floorPrepare(batches[i]!);
    start = performance.now();
    const floor = await fetch(floorUrl, { method: 'POST' });
    await floor.arrayBuffer();
    const floorTime = performance.now() - start;
    if (floor.status !== 200) throw new Error(`floor answered ${floor.status}`);
    if (i >= WARMUP) {
      ingestMs.push(ingestTime);
      frontDoorMs.push(frontDoorTime);
      floorMs.push(floorTime);
    }
  }
  const events = SAMPLES_PER_BATCH + CELLS_PER_BATCH;
  const requestsPerBatch = batches[0]!.rollups.reduce((sum, cell) => sum + cell.count, 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const ingestRate = (events * ingestMs.length) / (sum(ingestMs) / 1000);
  const floorRate = (events * floorMs.length) / (sum(floorMs) / 1000);
  const sortedIngest = [...ingestMs].sort((a, b) => a - b);
  const sortedFloor = [...floorMs].sort((a, b) => a - b);
  const bodyKiB = sum(bodies.map((b) => b.length)) / bodies.length / 1024;
  const status = await store.status();
  console.log(`bench/ingest.ts — ${BATCHES} batches of ${SAMPLES_PER_BATCH} samples + ${CELLS_PER_BATCH} rollup cells (${events} events, ${requestsPerBatch} requests counted, ${bodyKiB.toFixed(0)} KiB gzip), one AppStore, sequential, after ${WARMUP} warm-up batches; Bun ${Bun.version}, workerd via Miniflare`);
  console.log(`ingest (HTTP → gunzip → JSON → validate → RPC → guards → merge → SQLite)  ${ingestRate.toFixed(0).padStart(7)} events/s   p50 ${quantile(sortedIngest, 0.5).toFixed(1)} ms   p99 ${quantile(sortedIngest, 0.99).toFixed(1)} ms per batch`);
  console.log(`floor  (HTTP → RPC → plain INSERTs of the same rows, same DO, same schema)   ${floorRate.toFixed(0).padStart(7)} events/s   p50 ${quantile(sortedFloor, 0.5).toFixed(1)} ms   p99 ${quantile(sortedFloor, 0.99).toFixed(1)} ms per batch`);
  console.log(`ratio  ingest / floor throughput: ${((ingestRate / floorRate) * 100).toFixed(0)} % (target ≥ 50 %)`);
  const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
  const writeMs = median(ingestMs) - median(frontDoorMs);
  console.log(`split  front door (same batch re-sent → 200 duplicate: HTTP, gunzip, parse, validate, RPC) p50 ${median(frontDoorMs).toFixed(1)} ms; the store's own write ≈ ${writeMs.toFixed(1)} ms vs the floor's ${median(floorMs).toFixed(1)} ms (HTTP + RPC + inserts)`);
  console.log(`stored: ${status.rows.samples} samples, ${status.rows.rollupMinutes} minute cells (${INSTANCES} batches merged into each minute), ${(status.databaseBytes / 1024 / 1024).toFixed(1)} MiB`);
  // One instance at the default 10 s flush sends one batch per flush; how many such instances fit.
  for (const perFlush of [events, 300]) {
    console.log(`capacity: ${Math.floor((ingestRate * 10) / perFlush)} instances per AppStore at one ${perFlush}-event batch per 10 s flush, if the store did nothing else`);
  }
  store[Symbol.dispose]?.();
} finally {
  await edge.dispose();
  rmSync(stateDir, { recursive: true, force: true });
}
