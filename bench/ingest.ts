// Ingest benchmark on the local Workers runtime, in two parts.
//
// CPU per batch: workerd's own CPU time (every thread, from /proc, to the nanosecond) across each
// request, for batches from a typical app's 10 s flush up to the wire format's limit: the Worker's
// part (key, body read, the hand-over to the store: what the free plan's 10 ms per invocation
// applies to), the whole ingest (the store inflates, parses, validates and logs it), its fold into
// the tables, a retried duplicate, next to `/healthz` measured in the same run (HTTP, Miniflare's
// own entry worker and our router: the floor of any request here). SQLite rows written per batch
// come from the edge's own usage counts (the free plan allows 100,000 a day), with the fold's share
// at several fold rates.
//
// Throughput: batches of 1,000 samples + 200 rollup cells into one AppStore, end to end over HTTP
// and each folded at once, next to a floor measured in the same run and the same Durable Object:
// the rows the first layout wrote for the same batch (a row per sample) inserted with plain INSERTs
// through the same HTTP front door, with no parsing, validation or merging.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEdge } from '../scripts/local-edge.ts';
import type { Batch } from '../src/core/wire-format.ts';
import { eventsOf, FULL, IDLE, LARGE, LEAN, makeBenchBatch, TYPICAL, type BatchShape } from './support/ingest-batches.ts';
import { commandOf, cpuNs, descendantsOf } from './support/process-cpu.ts';

const BATCHES = Number(process.env.BATCHES ?? 60);
const WARMUP = 5;
/** Instances flushing into the same minute: the first batch of a minute inserts its cells, the rest merge. */
const INSTANCES = 6;
const INGEST_KEY = 'bench-ingest-key-0123456789';
const HEADERS = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' };

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
const p99 = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.99);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-bench-'));
const edge = await startLocalEdge({ entryPath: join(import.meta.dir, 'support/worker-half-entry.js'), persistDir: stateDir, bindings: { INGEST_KEYS: `bench:${INGEST_KEY}` } });
const workerd = descendantsOf(process.pid).filter((pid) => commandOf(pid) === 'workerd');
if (workerd.length === 0) throw new Error('no workerd process found under this one');
const url = (path: string) => new URL(path, edge.url);
const minuteBase = (() => {
  const t = Date.now() - 3 * 3_600_000;
  return t - (t % 60_000);
})();
let serial = 0;
const batchId = () => `bench-${minuteBase}-${String(++serial).padStart(7, '0')}`;

/** workerd's CPU (ms) across one request, which must answer `status`; returns it and the answer. */
async function cpuOf(path: string, init: RequestInit, status: number): Promise<{ ms: number; body: any }> {
  const before = cpuNs(workerd);
  const response = await fetch(url(path), init);
  const text = await response.text();
  const ms = (cpuNs(workerd) - before) / 1e6;
  if (response.status !== status) throw new Error(`${path} answered ${response.status}, expected ${status}: ${text.slice(0, 300)}`);
  return { ms, body: text ? JSON.parse(text) : null };
}

const rowsWritten = (answer: any): number => answer.usage.quotas.find((q: { kind: string }) => q.kind === 'rowsWritten').used;

/** Median rows written per batch of each shape, for the daily figures. */
const rowsPerBatch = new Map<BatchShape, number>();

async function cpuPerBatch(shape: BatchShape, rounds: number): Promise<void> {
  const floor: number[] = [];
  const workerHalf: number[] = [];
  const whole: number[] = [];
  const duplicate: number[] = [];
  const folds: number[] = [];
  const rows: number[] = [];
  const store = await edge.store('bench');
  let example: Batch | undefined;
  let gzipBytes = 0;
  let lastRows: number | undefined;
  for (let i = 0; i < rounds + 2; i++) {
    const batch = makeBenchBatch(shape, 'bench', `host-${i % INSTANCES}:1`, minuteBase + Math.floor(i / INSTANCES) * 60_000, batchId());
    example ??= batch;
    const body = Bun.gzipSync(JSON.stringify(batch));
    gzipBytes = body.byteLength;
    // Interleaved, so machine noise hits all four alike; the first two rounds warm up.
    const h = await cpuOf('/healthz', {}, 200);
    const w = await cpuOf('/__bench/worker-half', { method: 'POST', headers: HEADERS, body }, 200);
    const n = await cpuOf('/v1/ingest', { method: 'POST', headers: HEADERS, body }, 202);
    const d = await cpuOf('/v1/ingest', { method: 'POST', headers: HEADERS, body }, 200);
    // The batch is logged (two rows); its writes to the tables come with the next fold, timed here on its own.
    const beforeFold = cpuNs(workerd);
    await store.foldNow();
    const f = (cpuNs(workerd) - beforeFold) / 1e6;
    const total = rowsWritten(d.body);
    if (i >= 2) {
      floor.push(h.ms);
      workerHalf.push(w.ms);
      whole.push(n.ms);
      duplicate.push(d.ms);
      folds.push(f);
      if (lastRows !== undefined) rows.push(total - lastRows);
    }
    lastRows = total;
  }
  const f = median(floor);
  const events = eventsOf(example!);
  const json = JSON.stringify(example).length;
  console.log(`${shape.name}: ${example!.rollups.length} cells, ${example!.samples.length} samples, ${example!.spans.length} spans, ${example!.profiles.length} profiles; ${(gzipBytes / 1024).toFixed(1)} KiB gzip, ${(json / 1024).toFixed(0)} KiB JSON; ${rounds} rounds`);
  console.log(`  /healthz floor                         ${f.toFixed(2)} ms CPU (p99 ${p99(floor).toFixed(2)})`);
  console.log(`  Worker's part (key, read, hand-over)   +${(median(workerHalf) - f).toFixed(2)} ms over the floor (p99 +${(p99(workerHalf) - f).toFixed(2)}); ${median(workerHalf).toFixed(2)} ms with it, of the free plan's 10 ms`);
  console.log(`  whole ingest (Worker + store's take)   +${(median(whole) - f).toFixed(2)} ms (p99 +${(p99(whole) - f).toFixed(2)}): the store's part ≈ ${(median(whole) - median(workerHalf)).toFixed(2)} ms, ${((1000 * (median(whole) - median(workerHalf))) / events).toFixed(1)} µs per event`);
  console.log(`  its fold, alone (an RPC: minus the floor's HTTP ≈ ${f.toFixed(1)} ms)  ${median(folds).toFixed(2)} ms`);
  console.log(`  retried duplicate (200)                +${(median(duplicate) - f).toFixed(2)} ms`);
  console.log(`  SQLite rows written per batch, folded alone (the worst case)  ${median(rows).toFixed(0)} (${(median(rows) / events).toFixed(2)} per event)`);
  rowsPerBatch.set(shape, median(rows));
}

/**
 * Rows written per batch of one instance sending `shape` (`perMinute` batches a minute) when the
 * store folds every `foldEvery` batches: the log's two rows per batch and the fold's share. A fold
 * comes with each read of the app (an open dashboard: every batch or so), each evaluation of its
 * rules (once a minute) or its maintenance (every 5 minutes).
 */
async function rowsPerBatchFolded(shape: BatchShape, perMinute: number, foldEvery: number, minute: number): Promise<number> {
  const store = await edge.store('bench');
  const post = async (batch: Batch) => rowsWritten(await (await cpuOf('/v1/ingest', { method: 'POST', headers: HEADERS, body: Bun.gzipSync(JSON.stringify(batch)) }, 202)).body);
  await store.foldNow();
  const warm = (at: number) => makeBenchBatch(IDLE, 'bench', 'warm:1', at, batchId());
  const before = await post(warm(minute - 120_000));
  const count = 60;
  for (let i = 0; i < count; i++) {
    await post(makeBenchBatch(shape, 'bench', 'host-one:1', minute + Math.floor(i / perMinute) * 60_000, batchId()));
    if ((i + 1) % foldEvery === 0) await store.foldNow();
  }
  await store.foldNow();
  // The last answer counts everything before it; the warm-up batches' own two rows are taken out.
  const after = await post(warm(minute - 180_000));
  store[Symbol.dispose]?.();
  return (after - before - 2) / count;
}

/** Rows the cron's visit of one app writes (its own bookkeeping and the alert engine's), from the usage counts. */
async function rowsPerTick(ticks: number): Promise<number> {
  const store = await edge.store('bench');
  await store.flushUsage();
  const before = (await store.usageReport(1)).days[0].rowsWritten;
  for (let i = 0; i < ticks; i++) {
    const response = await fetch(url(`/__scheduled?cron=*+*+*+*+*&time=${Date.now() + i * 60_000}`));
    if (response.status !== 200) throw new Error(`tick answered ${response.status}`);
  }
  await store.flushUsage();
  const after = (await store.usageReport(1)).days[0].rowsWritten;
  store[Symbol.dispose]?.();
  // The two usage reads and flushes write a row or two each: counted against the ticks, rounding up.
  return (after - before) / ticks;
}

/** What one instance and one app cost a day at these sizes, against the free plan's daily quotas. */
function dailyFigures(tickRows: number): void {
  console.log('\nPer day at the defaults (Workers free plan: 100,000 Worker requests, 100,000 Durable Object requests, 100,000 rows written):');
  const line = (what: string, worker: number, store: number, rows: number) =>
    console.log(`  ${what.padEnd(52)} ${String(worker).padStart(6)} Worker + ${String(store).padStart(6)} DO requests, ${String(Math.round(rows)).padStart(9)} rows written`);
  line('idle instance, one heartbeat a minute', 1_440, 1_440, 1_440 * rowsPerBatch.get(IDLE)!);
  line('typical instance (50 req/s), a batch every 10 s', 8_640, 8_640, 8_640 * rowsPerBatch.get(TYPICAL)!);
  line('the same, lean (no detail, 60 s flush and profile)', 1_440, 1_440, 1_440 * rowsPerBatch.get(LEAN)!);
  line('the cron, per app (a visit a minute)', 0, 1_440, 1_440 * tickRows);
  console.log(`  (the cron itself: 1,440 Worker invocations a day for the whole Worker; ${tickRows.toFixed(1)} rows written per app per visit)`);
}

try {
  console.log(`bench/ingest.ts — Bun ${Bun.version}, workerd via Miniflare, CPU from /proc of workerd pid ${workerd.join(', ')}`);
  console.log('\nCPU per batch (medians):');
  await cpuPerBatch(TYPICAL, 40);
  await cpuPerBatch(FULL, 30);
  await cpuPerBatch(LARGE, 8);
  await cpuPerBatch(IDLE, 20);
  await cpuPerBatch(LEAN, 20);
  console.log('\nSQLite rows written per batch of one instance, with its fold (the log\'s 2 rows per batch and a share of the fold):');
  let hourOffset = 10;
  for (const [shape, perMinute] of [[TYPICAL, 6], [LEAN, 1], [IDLE, 1]] as const) {
    const figures: string[] = [];
    for (const foldEvery of [1, 6, 30]) figures.push(`fold every ${foldEvery}: ${(await rowsPerBatchFolded(shape, perMinute, foldEvery, minuteBase - (hourOffset++) * 3_600_000)).toFixed(1)}`);
    console.log(`  ${shape.name.padEnd(56)} ${figures.join(', ')}`);
  }
  dailyFigures(await rowsPerTick(10));

  const store = await edge.store('bench');
  const batches = Array.from({ length: BATCHES + WARMUP }, (_, i) => makeBenchBatch(FULL, 'bench', `host-${i % INSTANCES}:2`, minuteBase + 3_600_000 + Math.floor(i / INSTANCES) * 60_000, batchId()));
  // Bodies are compressed before timing: the client's gzip is not the edge's cost.
  const bodies = batches.map((batch) => Bun.gzipSync(JSON.stringify(batch)));
  const ingestMs: number[] = [];
  const frontDoorMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < batches.length; i++) {
    // Interleaved: the real path and the floor take turns, so machine noise hits both alike.
    let start = performance.now();
    const response = await fetch(url('/v1/ingest'), { method: 'POST', headers: HEADERS, body: bodies[i]! });
    await response.arrayBuffer();
    // And its fold into the tables (an RPC of its own: its HTTP and RPC overhead is counted too).
    await store.foldNow();
    const ingestTime = performance.now() - start;
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    // The same body again: everything before the store's writes (HTTP, gunzip, parse, validate, RPC), then 200 duplicate.
    start = performance.now();
    const again = await fetch(url('/v1/ingest'), { method: 'POST', headers: HEADERS, body: bodies[i]! });
    await again.arrayBuffer();
    const frontDoorTime = performance.now() - start;
    if (again.status !== 200) throw new Error(`duplicate answered ${again.status}`);
    await store.floorPrepare(batches[i]!);
    start = performance.now();
    const floor = await fetch(url('/__bench/floor?app=bench'), { method: 'POST' });
    await floor.arrayBuffer();
    const floorTime = performance.now() - start;
    if (floor.status !== 200) throw new Error(`floor answered ${floor.status}`);
    if (i >= WARMUP) {
      ingestMs.push(ingestTime);
      frontDoorMs.push(frontDoorTime);
      floorMs.push(floorTime);
    }
  }
  const events = eventsOf(batches[0]!);
  const requestsPerBatch = batches[0]!.rollups.reduce((total, cell) => total + cell.count, 0);
  const ingestRate = (events * ingestMs.length) / (sum(ingestMs) / 1000);
  const floorRate = (events * floorMs.length) / (sum(floorMs) / 1000);
  const bodyKiB = sum(bodies.map((b) => b.length)) / bodies.length / 1024;
  const status = await store.status();
  console.log(`\nThroughput — ${BATCHES} batches of ${FULL.samples} samples + ${batches[0]!.rollups.length} rollup cells (${events} events, ${requestsPerBatch} requests counted, ${bodyKiB.toFixed(0)} KiB gzip), one AppStore, sequential, after ${WARMUP} warm-up batches`);
  console.log(`ingest (HTTP → RPC → gunzip → JSON → validate → guards → log, then its fold)  ${ingestRate.toFixed(0).padStart(7)} events/s   p50 ${median(ingestMs).toFixed(1)} ms   p99 ${p99(ingestMs).toFixed(1)} ms per batch`);
  console.log(`floor  (HTTP → RPC → plain INSERTs of the rows the first layout wrote: a row per sample)   ${floorRate.toFixed(0).padStart(7)} events/s   p50 ${median(floorMs).toFixed(1)} ms   p99 ${p99(floorMs).toFixed(1)} ms per batch`);
  console.log(`ratio  ingest / floor throughput: ${((ingestRate / floorRate) * 100).toFixed(0)} % (target ≥ 50 %)`);
  const writeMs = median(ingestMs) - median(frontDoorMs);
  console.log(`split  front door (same batch re-sent → 200 duplicate: HTTP, RPC, gunzip, parse, validate) p50 ${median(frontDoorMs).toFixed(1)} ms; the store's own write ≈ ${writeMs.toFixed(1)} ms vs the floor's ${median(floorMs).toFixed(1)} ms (HTTP + RPC + inserts)`);
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
