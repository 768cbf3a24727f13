// What the preload costs a Bun app. Three apps (hello world; a `/users/:id` routes app; a realistic
// handler that reads `authorization` and the query and answers ~1 KB of JSON) run plain, under a
// floor (bench/apps/floor-preload.ts: time each request and read its `traceparent`, the least any
// monitor honouring incoming trace context can do), under bun-apm with the defaults (adaptive
// sampling), with full detail (sampleRate 1, traceSampleRate 0.05) beside its own floor
// (bench/apps/floor-detail-preload.ts: a record per request and 5 % of traces, encoded and sent,
// nothing else), and under OpenTelemetry manual
// tracing with a BatchSpanProcessor (bench/apps/otel-preload.ts), all shipping to one local sink.
// The variants take turns (interleaved, order rotated) over several rounds and medians are printed
// next to the plain figures of the same run; ratios and differences are medians of each round's.
// Saturating load comes from wrk on the other core (taskset). The steadiest figure on a shared
// machine is server CPU µs per request (process CPU time / requests); bench/instructions.ts counts
// instructions, which hardly move.
// Then: a constant-rate (open-loop) run at half of plain's maximum (plain, floor, defaults, full
// detail), p99 and p99.9 measured from when each request was due (bench/load-client.ts); RSS growth
// over 1,000,000 requests with the sink down.
//
//   bun bench/overhead.ts    (ROUNDS=5 SECONDS=5 CONNECTIONS=32 OPEN_SECONDS=10 ONLY=hello,routes,realistic)
import { existsSync, readFileSync } from 'node:fs';
import { freePort, runOpenLoop, startVariant, wrk as runWrk, type LoadClientResult, type WrkResult } from './support/load.ts';
import { startSink } from './support/edge-answer.ts';
import { cpuNs, cpuTicks } from './support/process-cpu.ts';
import { APPS, installPackage, VARIANTS, type App, type Variant } from './variants.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const OPEN_SECONDS = Number(process.env.OPEN_SECONDS ?? 10);
const OPEN_SHARE = Number(process.env.OPEN_SHARE ?? 0.5);
const GROWTH_REQUESTS = Number(process.env.GROWTH_REQUESTS ?? 1_000_000);
const ONLY = process.env.ONLY?.split(',');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const cores = navigator.hardwareConcurrency;
const SERVER_CPU = '0';
const LOAD_CPU = cores > 1 ? '1' : '0';

function need(tool: string, hint: string): void {
  if (Bun.spawnSync(['sh', '-c', `command -v ${tool}`]).exitCode !== 0) {
    console.error(`bench/overhead: ${tool} is missing. ${hint}`);
    process.exit(1);
  }
}
need('wrk', 'Install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again.');
need('taskset', 'It comes with util-linux (`apt-get install -y util-linux`).');
const APP_DIR = await installPackage();

// The sink: counts the compressed bytes each app instance ships.
const shipped = new Map<string, number>();
/** Requests the sink took, by app: batches a second under load (full detail once sent one per 250 records). */
const posts = new Map<string, number>();
const sink = startSink((body) => {
  try {
    const batch = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(body))) as { identity: { app: string } };
    shipped.set(batch.identity.app, (shipped.get(batch.identity.app) ?? 0) + body.byteLength);
    posts.set(batch.identity.app, (posts.get(batch.identity.app) ?? 0) + 1);
  } catch {
    // not a batch: not counted
  }
});

/** utime + stime of a process, µs. */
function cpuMicros(pid: number): number {
  const { user, system } = cpuTicks(pid);
  return ((user + system) / TICKS_PER_SECOND) * 1e6;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

function startServer(app: App, variant: Variant, tag: string, endpoint: string) {
  return startVariant(app, variant, { cwd: APP_DIR, cpu: SERVER_CPU, endpoint, tag });
}

/** wrk on the load core with this run's connections. */
function wrk(url: string, seconds: number, headers: Record<string, string>, connections = CONNECTIONS): Promise<WrkResult> {
  return runWrk(url, seconds, headers, { cpu: LOAD_CPU, connections });
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  rss: number;
  bytesPerRequest: number;
  batchesPerSecond: number;
}

let run = 0;
async function measure(app: App, variant: Variant): Promise<Sample> {
  const tag = `bench-${run++}`;
  const { child, url } = await startServer(app, variant, tag, sink.endpoint);
  try {
    await wrk(url, 1, app.headers); // warm-up: JIT, connections, first profile
    const cpuBefore = cpuMicros(child.pid);
    const postsBefore = posts.get(tag) ?? 0;
    const result = await wrk(url, SECONDS, app.headers);
    const cpu = cpuMicros(child.pid) - cpuBefore;
    const batchesPerSecond = ((posts.get(tag) ?? 0) - postsBefore) / SECONDS;
    const rss = rssBytes(child.pid);
    child.kill('SIGTERM'); // the final flush ships what is left, so bytes per request are complete
    await child.exited;
    await Bun.sleep(50);
    return { rps: result.rps, p50: result.p50, p99: result.p99, cpuPerRequest: cpu / result.requests, rss, bytesPerRequest: (shipped.get(tag) ?? 0) / result.requests, batchesPerSecond };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await child.exited;
  }
}

/** Constant rate below saturation, from when each request was due. */
/**
 * One open-loop run, with how busy it kept the server's core (its CPU time over the run's): "half of
 * plain's maximum" is half of a closed loop's, and an open loop's requests cost more CPU each.
 */
async function openLoopRun(url: string, rate: number, headers: Record<string, string>, pid: number): Promise<LoadClientResult & { busy: number }> {
  const cpuBefore = cpuNs([pid]);
  const started = performance.now();
  const result = await runOpenLoop(LOAD_CPU, url, rate, OPEN_SECONDS, headers);
  return { ...result, busy: (cpuNs([pid]) - cpuBefore) / 1e6 / (performance.now() - started) };
}

const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`bun ${Bun.version}, ${cores} cores, server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections; load average at start ${load}`);
const plainMax = new Map<string, number>();
for (const app of APPS) {
  if (ONLY && !ONLY.includes(app.key)) continue;
  const variants = VARIANTS.filter((v) => v.name !== 'OpenTelemetry' || app.otel);
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no variant always runs first (warm caches, thermal drift).
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const variant of order) samples.get(variant.name)!.push(await measure(app, variant));
  }
  const med = (name: string, key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
  // Comparisons are paired by round (the median of each round's ratio or difference): the variants
  // of one round run within a minute of each other, so a shared machine's slower minutes cancel.
  const paired = (name: string, other: string, key: keyof Sample, compare: (a: number, b: number) => number) =>
    median(samples.get(name)!.map((s, round) => compare(s[key], samples.get(other)![round]![key])));
  const ratio = (a: number, b: number) => a / b;
  const difference = (a: number, b: number) => a - b;
  plainMax.set(app.key, med('plain', 'rps'));
  console.log(`\n${app.name} (GET ${app.path})`);
  console.log('variant            req/s  ×plain  p50 ms  p99 ms  CPU µs/req  Δ µs/req  over floor  RSS MiB  bytes shipped/req  batches/s');
  for (const variant of variants) {
    const n = variant.name;
    console.log(
      `${n.padEnd(14)} ${med(n, 'rps').toFixed(0).padStart(8)}  ${paired(n, 'plain', 'rps', ratio).toFixed(3).padStart(6)}  ${med(n, 'p50').toFixed(3).padStart(6)}  ${med(n, 'p99').toFixed(3).padStart(6)}` +
        `  ${med(n, 'cpuPerRequest').toFixed(2).padStart(10)}  ${paired(n, 'plain', 'cpuPerRequest', difference).toFixed(2).padStart(8)}` +
        `  ${(n === 'plain' ? '' : paired(n, variant.floor ?? 'floor', 'cpuPerRequest', difference).toFixed(2)).padStart(10)}` +
        `  ${(med(n, 'rss') / 2 ** 20).toFixed(1).padStart(7)}  ${med(n, 'bytesPerRequest').toFixed(2).padStart(17)}  ${med(n, 'batchesPerSecond').toFixed(1).padStart(9)}`,
    );
  }
}

// Constant rate below saturation: what users running at half load see in their tail.
console.log(`\nconstant rate (open loop) at ${OPEN_SHARE * 100} % of plain's maximum, ${Math.min(ROUNDS, 3)} rounds × ${OPEN_SECONDS} s, medians; latency from when each request was due:`);
console.log('app                 variant          rate/s   p50 ms   p99 ms  p99.9 ms  core busy');
for (const app of APPS) {
  if (!plainMax.has(app.key)) continue;
  const rate = Math.round(plainMax.get(app.key)! * OPEN_SHARE);
  // The floor runs here too: a tail target is below the floor only if the floor, same run, misses it.
  const variants = VARIANTS.filter((v) => v.name === 'plain' || v.name === 'floor' || v.name === 'defaults' || v.name === 'full detail');
  const results = new Map<string, Array<{ p50: number; p99: number; p999: number; achieved: number; busy: number }>>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
    for (const variant of round % 2 ? [...variants].reverse() : variants) {
      const { child, url } = await startServer(app, variant, `open-${run++}`, sink.endpoint);
      try {
        await wrk(url, 1, app.headers); // warm-up
        results.get(variant.name)!.push(await openLoopRun(url, rate, app.headers, child.pid));
      } finally {
        child.kill('SIGKILL');
        await child.exited;
      }
    }
  }
  for (const [name, list] of results) {
    const m = (key: 'p50' | 'p99' | 'p999' | 'achieved' | 'busy') => median(list.map((r) => r[key]));
    console.log(`${app.key.padEnd(19)} ${name.padEnd(14)} ${m('achieved').toFixed(0).padStart(8)} ${m('p50').toFixed(3).padStart(8)} ${m('p99').toFixed(3).padStart(8)} ${m('p999').toFixed(3).padStart(9)}  ${(m('busy') * 100).toFixed(0).padStart(7)} %`);
  }
}

// RSS growth over GROWTH_REQUESTS requests with the sink down (nothing listens at the endpoint).
{
  const app = APPS.find((a) => a.key === 'routes')!;
  console.log(`\nRSS growth over ${GROWTH_REQUESTS.toLocaleString('en')} requests, sink down (${app.name}):`);
  for (const variant of VARIANTS.filter((v) => v.name === 'plain' || v.name === 'defaults')) {
    const down = `http://127.0.0.1:${freePort()}`;
    const { child, url } = await startServer(app, variant, `growth-${variant.name}`, down);
    try {
      await wrk(url, 2, app.headers);
      const before = rssBytes(child.pid);
      let served = 0;
      while (served < GROWTH_REQUESTS) served += (await wrk(url, 5, app.headers)).requests;
      const after = rssBytes(child.pid);
      console.log(`  ${variant.name.padEnd(10)} ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB after ${served.toLocaleString('en')} requests (growth ${((after - before) / 2 ** 20).toFixed(1)} MiB)`);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  }
}

sink.stop();
console.log(`\nload average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (!existsSync('/proc/self/stat')) console.log('(CPU and RSS figures need Linux /proc)');
