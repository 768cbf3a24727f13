// Time a detail record costs the client at full detail, in two parts measured apart: making it (the
// recorder's request path, sampled, with a profile's figures to read) and shipping it (cut, encode,
// seal and gzip, as the batcher does for an edge that names this build's additions), with the stall a
// cut and a seal each put on the app's thread (p50 and p90). This build
// against another checkout's sources (BENCH_BASELINE, no build needed), each in its own processes,
// in turns, so that a change of well under 1 µs a record shows: end to end at 20,000 requests/s
// (bench/ab.ts) an interval is ±0.3–0.6 µs.
//   BENCH_BASELINE=/path/to/checkout bun run bench:encode     (PROCESSES=6 RECORDS=200000)
import { join } from 'node:path';
import { quantile } from './load-client.ts';
import { zeroCounters } from '../src/core/batch-builder.ts';

const PROCESSES = Number(process.env.PROCESSES ?? 6);
const RECORDS = Number(process.env.RECORDS ?? 200_000);
const CHILD = process.env.BENCH_ENCODE_SOURCE;

interface Figures {
  makeNs: number;
  shipNs: number;
  gzipBytes: number;
  /** The app's thread held by one cut of 250 records (encoded into pending data), µs: p50 and p90. */
  cutUs: [number, number];
  /** ... and by sealing one batch (joined and gzip'd), µs: p50 and p90. */
  sealUs: [number, number];
}

if (CHILD) {
  console.log(JSON.stringify(await measure(CHILD)));
  process.exit(0);
}

async function measure(source: string): Promise<Figures> {
  const { Recorder } = await import(join(source, 'src/plugin/runtime/recorder.ts'));
  const { PendingData } = await import(join(source, 'src/plugin/runtime/pending-data.ts'));
  const { createLog } = await import(join(source, 'src/plugin/runtime/log.ts'));
  const { WIRE_ADDITIONS } = await import(join(process.cwd(), 'src/core/wire-format.ts'));
  const log = createLog(false, () => undefined);
  const recorder = new Recorder({ sampleRate: 1, traceSampleRate: 0, log });
  const identity = { app: 'bench', service: 'bench', instance: 'bench:1', runtime: 'bun', runtimeVersion: Bun.version, sdkVersion: '0' };
  const pending = new PendingData({ identity, maxPendingBytes: 64 * 1024 * 1024, log, droppedTotal: zeroCounters() });
  pending.learnAdditions(WIRE_ADDITIONS);
  // Each cut's requests made before it is timed (a request is recorded once): constructing them is not the recorder's cost.
  const newRequests = (from: number) => Array.from({ length: 250 }, (_, i) => new Request(`http://127.0.0.1:3000/users/${from + i}?page=2`, { headers: { 'user-agent': 'bench/1.0' } }));
  const response = new Response('{"ok":true}', { headers: { 'content-length': '11' } });
  let makeNs = 0;
  let shipNs = 0;
  let gzipBytes = 0;
  let profiles = 0;
  const cuts: number[] = [];
  const seals: number[] = [];
  // Wall time of this thread, in ns: the loop never waits, and a cut of 250 is far below rusage's resolution.
  const clock = () => performance.now() * 1e6;
  for (let done = 0, round = 0; done < RECORDS; round++) {
    // A new profile every 4 cuts of 250 (at 20,000 requests/s one comes every 5 s: 100,000 records).
    if (round % 4 === 0) recorder.latestProfile = { timestamp: Date.now(), rss: 61_345_792 + ++profiles, heapUsed: 9_812_345, heapTotal: 14_123_008, cpuPercent: 93.71, eventLoopLagMs: 0.4, inFlight: 1 };
    const requests = newRequests(done);
    let t = clock();
    for (const request of requests) recorder.respond(recorder.begin(request)!, response);
    makeNs += clock() - t;
    t = clock();
    const { samples } = recorder.drainDetail();
    pending.add([], samples, [], [], zeroCounters());
    const cut = clock() - t;
    cuts.push(cut / 1000);
    let seal = 0;
    // A batch once ~900 records wait, as under load (MERGE_BUDGET_CHARS decides when one is full).
    if (pending.detailFull || round % 4 === 3) {
      t = clock();
      const batch = pending.next();
      seal = clock() - t;
      seals.push(seal / 1000);
      gzipBytes += batch?.body.byteLength ?? 0;
      pending.delivered();
    }
    shipNs += cut + seal;
    recorder.drain(); // the rollup cells: not part of a record's cost
    done += 250;
  }
  const at = (values: number[], q: number) => quantile(Float64Array.from(values), q);
  return { makeNs: makeNs / RECORDS, shipNs: shipNs / RECORDS, gzipBytes: gzipBytes / RECORDS, cutUs: [at(cuts, 0.5), at(cuts, 0.9)], sealUs: [at(seals, 0.5), at(seals, 0.9)] };
}

const baseline = process.env.BENCH_BASELINE;
const builds = [{ name: 'this build', source: process.cwd() }, ...(baseline ? [{ name: 'baseline', source: baseline }] : [])];
const results = new Map<string, Figures[]>(builds.map((b) => [b.name, []]));
for (let p = 0; p < PROCESSES; p++) {
  for (const build of p % 2 === 0 ? builds : [...builds].reverse()) {
    const child = Bun.spawnSync([process.execPath, import.meta.path], { env: { ...process.env, BENCH_ENCODE_SOURCE: build.source }, stderr: 'inherit' });
    if (child.exitCode !== 0) throw new Error(`${build.name}: the measuring process exited ${child.exitCode}`);
    results.get(build.name)!.push(JSON.parse(child.stdout.toString()) as Figures);
  }
}
console.log(`bun ${Bun.version}; ${RECORDS.toLocaleString('en')} records a process, ${PROCESSES} processes a build; medians [min–max]`);
console.log(`${'build'.padEnd(12)}${'make ns/record'.padEnd(24)}${'ship ns/record'.padEnd(24)}${'gzip B/record'.padEnd(15)}${'cut µs p50 / p90'.padEnd(19)}seal µs p50 / p90`);
const median = (values: number[]) => quantile(Float64Array.from(values), 0.5);
const cell = (values: number[], digits = 0) => `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`.padEnd(24);
for (const [name, figures] of results) {
  const stall = (pick: (f: Figures) => [number, number]) => `${median(figures.map((f) => pick(f)[0])).toFixed(0)} / ${median(figures.map((f) => pick(f)[1])).toFixed(0)}`;
  console.log(`${name.padEnd(12)}${cell(figures.map((f) => f.makeNs))}${cell(figures.map((f) => f.shipNs))}${median(figures.map((f) => f.gzipBytes)).toFixed(1).padEnd(15)}${stall((f) => f.cutUs).padEnd(19)}${stall((f) => f.sealUs)}`);
}
