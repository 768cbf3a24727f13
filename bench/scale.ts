// Load test of the whole edge on the local Workers runtime: INSTANCES simulated instances of one
// app (bench/support/instance-sim.ts: busy, quiet and idle ones, a few routes each, a batch every
// 10 s or a heartbeat a minute, phases spread, ±5 % jitter, one batch in flight per instance) send
// for DURATION_S seconds of real time while a dashboard-like reader queries the app every second.
// Run once per shard count in SHARDS_LIST. Reports ingest events/s, ingest latency (p50/p99), the
// reads' latency while ingesting, workerd's CPU, and SQLite rows written per batch and per day from
// the stores' own usage counts. Bounded in instances, time and requests in flight.
//
//   INSTANCES=1000 DURATION_S=60 SHARDS_LIST=1,4 bun bench/scale.ts
//   FLUSH_MS, SAMPLES_PER_SECOND, TRACES_PER_SECOND change the simulated clients' settings (defaults 10000, 10, 1).
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalEdge, type LocalEdge } from '../scripts/local-edge.ts';
import { eventsOf, makeInstances, nextBatch, scheduleNext, type SimInstance } from './support/instance-sim.ts';
import { commandOf, cpuNs, descendantsOf } from './support/process-cpu.ts';

const INSTANCES = Math.min(5_000, Number(process.env.INSTANCES ?? 1_000));
const DURATION_S = Math.min(600, Number(process.env.DURATION_S ?? 60));
const SHARDS_LIST = (process.env.SHARDS_LIST ?? '1,4').split(',').map(Number);
/** How often the dashboard-like reader reads (each read folds the log); 0: no reader (a closed dashboard). */
const READ_EVERY_MS = Number(process.env.READ_EVERY_MS ?? 1_000);
/** Requests in flight at most: past it a due flush waits (and is counted late). */
const MAX_IN_FLIGHT = 256;
const APP = 'load';
const INGEST_KEY = 'scale-ingest-key-0123456789';
const READ_KEY = 'scale-read-key-0123456789';
const DAY_S = 86_400;

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The names of the app's stores: shard 0 is the app's own (see src/edge/shards.ts). */
const storeNames = (shards: number) => Array.from({ length: shards }, (_, k) => (k === 0 ? APP : `${APP}#${k}`));

async function rowsWritten(edge: LocalEdge, shards: number): Promise<{ written: number; read: number }> {
  let written = 0;
  let read = 0;
  for (const name of storeNames(shards)) {
    const store = await edge.store(name);
    // Everything taken is in the tables, so the fold's rows are counted.
    await store.foldNow();
    await store.flushUsage();
    const day = (await store.usageReport(1)).days[0];
    written += day?.rowsWritten ?? 0;
    read += day?.rowsRead ?? 0;
  }
  return { written, read };
}

interface RunResult {
  shards: number;
  batches: number;
  events: number;
  seconds: number;
  ingest: number[];
  refused: Record<string, number>;
  late: number;
  reads: Record<string, number[]>;
  cpuShare: number;
  /** This process's CPU (the simulated instances and the reader), per second of the run. */
  simCpuShare: number;
  rows: { written: number; read: number };
  perKind: Record<string, number>;
}

async function run(shards: number): Promise<RunResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-scale-'));
  const edge = await startLocalEdge({
    persistDir: stateDir,
    bindings: { INGEST_KEYS: `${APP}:${INGEST_KEY}`, API_KEYS: `${APP}:${READ_KEY}`, SHARDS: String(shards) },
  });
  const workerd = descendantsOf(process.pid).filter((pid) => commandOf(pid) === 'workerd');
  try {
    const base = new URL(edge.url);
    const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-encoding': 'gzip' };
    // Each store exists (and has migrated) before the clock starts.
    for (const name of storeNames(shards)) await (await edge.store(name)).status();
    const before = await rowsWritten(edge, shards);

    const start = Date.now();
    const instances = makeInstances(INSTANCES, start);
    const end = start + DURATION_S * 1000;
    const ingest: number[] = [];
    const refused: Record<string, number> = {};
    const perKind: Record<string, number> = { busy: 0, quiet: 0, idle: 0 };
    let batches = 0;
    let events = 0;
    let inFlight = 0;
    let late = 0;
    const pending = new Set<Promise<void>>();

    const send = (instance: SimInstance, now: number) => {
      const batch = nextBatch(APP, instance, now);
      const body = Bun.gzipSync(JSON.stringify(batch));
      instance.busy = true;
      inFlight++;
      const started = performance.now();
      // A connection of its own, as each instance has: a pooled socket the runtime closed under load
      // would show as ECONNRESET rather than the edge's answer.
      const done = fetch(new URL('/v1/ingest', base), { method: 'POST', headers, body, keepalive: false }).then(async (response) => {
        await response.arrayBuffer();
        ingest.push(performance.now() - started);
        if (response.status === 202) {
          batches++;
          events += eventsOf(batch);
          perKind[instance.kind]!++;
        } else {
          refused[response.status] = (refused[response.status] ?? 0) + 1;
        }
      }, (error: Error) => {
        const what = `${error.name}: ${error.message}`.slice(0, 80);
        refused[what] = (refused[what] ?? 0) + 1;
      }).finally(() => {
        instance.busy = false;
        inFlight--;
        pending.delete(done);
      });
      pending.add(done);
    };

    // A dashboard-like reader: the summary, the live tiles, a chart, the route table and the traces list, each second.
    const reads: Record<string, number[]> = { summary: [], live: [], timeseries: [], routes: [], traces: [], samples: [] };
    let reading = READ_EVERY_MS > 0;
    const reader = (async () => {
      while (reading) {
        const tick = Date.now();
        const window = `from=${tick - 3_600_000}&to=${tick}`;
        for (const [name, path] of Object.entries({
          summary: `summary?${window}`, live: 'live', timeseries: `timeseries?${window}&metric=p95,requests`, routes: `routes?${window}&limit=50`,
          traces: `traces?${window}&limit=50`, samples: `samples?${window}&limit=100`,
        })) {
          const started = performance.now();
          const response = await fetch(new URL(`/api/v1/apps/${APP}/${path}`, base), { headers: { 'x-api-key': READ_KEY } });
          await response.arrayBuffer();
          if (response.status === 200) reads[name]!.push(performance.now() - started);
        }
        await Bun.sleep(Math.max(0, READ_EVERY_MS - (Date.now() - tick)));
      }
    })();

    const cpuBefore = cpuNs(workerd);
    const simBefore = process.cpuUsage();
    const wallBefore = performance.now();
    while (Date.now() < end) {
      const now = Date.now();
      for (const instance of instances) {
        if (instance.next > now) continue;
        if (instance.busy || inFlight >= MAX_IN_FLIGHT) {
          late++;
          instance.next = now + 100;
          continue;
        }
        send(instance, now);
        scheduleNext(instance, now);
      }
      await Bun.sleep(20);
    }
    const drainBy = Date.now() + 30_000;
    while (pending.size > 0 && Date.now() < drainBy) await Promise.race([...pending, Bun.sleep(100)]);
    reading = false;
    await reader;
    const seconds = (performance.now() - wallBefore) / 1000;
    const cpuShare = (cpuNs(workerd) - cpuBefore) / 1e9 / seconds;
    const simUsage = process.cpuUsage(simBefore);
    const simCpuShare = (simUsage.user + simUsage.system) / 1e6 / seconds;
    const after = await rowsWritten(edge, shards);
    return {
      shards, batches, events, seconds, ingest, refused, late, reads, cpuShare, simCpuShare, perKind,
      rows: { written: after.written - before.written, read: after.read - before.read },
    };
  } finally {
    await edge.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function report(r: RunResult): void {
  const perDay = (n: number) => fmt((n / r.seconds) * DAY_S);
  console.log(`\n${r.shards} shard${r.shards === 1 ? '' : 's'}: ${fmt(INSTANCES)} instances (${r.perKind.busy} busy, ${r.perKind.quiet} quiet, ${r.perKind.idle} idle batches), ${fmt(r.seconds, 1)} s`);
  console.log(`  ingest       ${fmt(r.batches)} batches accepted, ${fmt(r.events)} events: ${fmt(r.events / r.seconds)} events/s, ${fmt(r.batches / r.seconds, 1)} batches/s`);
  console.log(`  latency      p50 ${fmt(quantile(r.ingest, 0.5), 1)} ms, p99 ${fmt(quantile(r.ingest, 0.99), 1)} ms, max ${fmt(quantile(r.ingest, 1), 1)} ms per batch`);
  console.log(`  not accepted ${JSON.stringify(r.refused)}; flushes that waited for the one before (or the in-flight bound): ${fmt(r.late)}`);
  for (const [name, times] of Object.entries(r.reads)) {
    console.log(`  read ${name.padEnd(11)} ${String(times.length).padStart(4)} reads while ingesting: p50 ${fmt(quantile(times, 0.5), 1)} ms, p99 ${fmt(quantile(times, 0.99), 1)} ms`);
  }
  console.log(`  CPU          workerd ${fmt(r.cpuShare * 100)} % of one core over the run; the simulator ${fmt(r.simCpuShare * 100)} %; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
  console.log(`  SQLite       ${fmt(r.rows.written)} rows written (${fmt(r.rows.written / Math.max(1, r.batches), 2)} per batch; ${perDay(r.rows.written)} a day at this rate), ${fmt(r.rows.read)} rows read (${perDay(r.rows.read)} a day)`);
  console.log(`  requests     ${perDay(r.batches)} ingest requests a day at this rate (each a Worker and a Durable Object request)`);
}

console.log(`bench/scale.ts — Bun ${Bun.version}, workerd via Miniflare; ${INSTANCES} instances for ${DURATION_S} s per run; shards ${SHARDS_LIST.join(', ')}; ${READ_EVERY_MS > 0 ? `a reader every ${READ_EVERY_MS} ms` : 'no reader'}`);
for (const shards of SHARDS_LIST) report(await run(shards));
