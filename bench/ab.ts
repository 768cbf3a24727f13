// Throughput and CPU of a few variants at the finest resolution this shared machine allows. In
// bench/overhead.ts each variant loads for 5 s in turn, one process each a round: the floor has
// measured 0.85–1.16× plain over its runs C to H. Here every variant of a round runs at once (all on
// the server core, the others idle but for their timers while one is under load) and the load moves
// between them in cycles of short slices, each cycle in a fresh random order, so that a cycle's
// variants meet the machine within seconds of each other and none always follows the same one.
// Each cycle gives a throughput ratio to plain; a round's figure is the geometric mean of its
// cycles'; the 95 % interval is taken over rounds (a round's cycles share their processes, so they
// are not independent). req/s, CPU µs a request and the user-mode share are medians over all slices.
// One process's throughput moved between 31,690 and 58,154 requests/s from one second to the next,
// and copies of the same code have come out 3–4 % apart (bench/HISTORY.md, "Wall clock in slices"):
// a difference of a few % needs many rounds, and the interval says what the run can tell.
//
//   bun bench/ab.ts    (ONLY=realistic VARIANTS=plain,floor,defaults ROUNDS=24 SLICES=3 SLICE_SECONDS=1 CONNECTIONS=32)
//   RATE=20000: each slice is an open loop at that many requests a second (bench/load-client.ts)
//   instead of wrk's closed loop, so every variant serves the same load below saturation; the ratio
//   column is then plain's CPU a request over the variant's (its capacity against plain's).
//   BENCH_NECESSARY, BENCH_COUNTS_ONLY, BENCH_DEFERRED, BENCH_NO_TIMERS, BENCH_MODULES_ONLY, BENCH_STEPS and BENCH_BASELINE add their
//   variants, as in the other benchmarks (bench/variants.ts; name them in VARIANTS). A name given twice
//   runs two copies (plain,plain: what the run can tell apart), the second labelled plain#2.
import { readFileSync } from 'node:fs';
import { OPEN_CONNECTIONS } from './load-client.ts';
import { runOpenLoop, startVariant, wrk } from './support/load.ts';
import { startSink } from './support/edge-answer.ts';
import { cpuNs, cpuTicks } from './support/process-cpu.ts';
import { APPS, installPackage, VARIANTS, type App, type Variant } from './variants.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 24);
const SLICES = Number(process.env.SLICES ?? 3);
const SLICE_SECONDS = Number(process.env.SLICE_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const RATE = Number(process.env.RATE ?? 0);
const ONLY = (process.env.ONLY ?? 'realistic').split(',');
const NAMES = (process.env.VARIANTS ?? 'plain,floor,defaults').split(',');
const SERVER_CPU = '0';
const LOAD_CPU = navigator.hardwareConcurrency > 1 ? '1' : '0';

const variants = NAMES.map((name, k): Variant => {
  const variant = VARIANTS.find((v) => v.name === name) ?? fail(`no variant named ${JSON.stringify(name)} (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  const copy = NAMES.slice(0, k).filter((n) => n === name).length;
  return copy === 0 ? variant : { ...variant, name: `${name}#${copy + 1}` };
});
if (variants[0]!.name !== 'plain') fail('VARIANTS must start with plain: the ratios are against it');
if (!(ROUNDS >= 2)) fail('ROUNDS must be at least 2: the interval is taken over rounds');
if (!(RATE >= 0) || !Number.isFinite(RATE)) fail('RATE must be a number of requests a second (0: closed loop, wrk)');
const apps = ONLY.map((key) => APPS.find((a) => a.key === key) ?? fail(`no app ${JSON.stringify(key)} (known: ${APPS.map((a) => a.key).join(', ')})`));

function fail(message: string): never {
  console.error(`bench/ab: ${message}`);
  process.exit(1);
}

const APP_DIR = await installPackage();
// This process serves the sink: on the load core, so that it takes no time from the servers'.
Bun.spawnSync(['taskset', '-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdout: 'ignore' });
// Where the preload ships its batches: taken and dropped (bench/overhead.ts counts the bytes).
const sink = startSink();

/** One slice of load on one variant's server. */
interface Slice {
  rps: number;
  cpuPerRequest: number;
  /** The share of its CPU time spent in user mode (the rest is the kernel's: sockets, mostly). */
  userShare: number;
}

/** The variants' indices in a random order. */
function shuffled(): number[] {
  const order = variants.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * One round: a fresh process of every variant (started and warmed in a random order), then SLICES
 * cycles in which each takes the load for SLICE_SECONDS, in a random order. Returns, per cycle,
 * each variant's slice.
 */
async function round(app: App, index: number): Promise<Slice[][]> {
  const servers: Array<Awaited<ReturnType<typeof startVariant>>> = [];
  try {
    for (const i of shuffled()) servers[i] = await startVariant(app, variants[i]!, { cwd: APP_DIR, cpu: SERVER_CPU, endpoint: sink.endpoint, tag: `ab-${variants[i]!.name}` });
    for (const i of shuffled()) await wrk(servers[i]!.url, 1, app.headers, { cpu: LOAD_CPU, connections: CONNECTIONS }); // warm-up
    const cycles: Slice[][] = [];
    for (let cycle = 0; cycle < SLICES; cycle++) {
      const slices: Slice[] = [];
      for (const i of shuffled()) {
        const { child, url } = servers[i]!;
        const pid = child.pid;
        const before = cpuNs([pid]);
        const ticksBefore = cpuTicks(pid);
        const result = RATE > 0 ? await openLoop(url, app) : await wrk(url, SLICE_SECONDS, app.headers, { cpu: LOAD_CPU, connections: CONNECTIONS });
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${variants[i]!.name} exited during round ${index + 1}`);
        if (!(result.requests > 0 && Number.isFinite(result.rps))) throw new Error(`${variants[i]!.name}: the load completed no requests in round ${index + 1}`);
        const ticksAfter = cpuTicks(pid);
        const user = ticksAfter.user - ticksBefore.user;
        const userShare = user / (user + ticksAfter.system - ticksBefore.system);
        slices[i] = { rps: result.rps, cpuPerRequest: (cpuNs([pid]) - before) / 1000 / result.requests, userShare };
      }
      cycles.push(slices);
    }
    return cycles;
  } finally {
    for (const server of servers) server?.child.kill('SIGKILL');
    await Promise.all(servers.map((server) => server?.child.exited));
  }
}

/** A slice that fell short of RATE: past the variant's capacity, or a stall of the shared machine. */
class ShortSlice extends Error {}

/** One slice at RATE requests a second; requests that failed or went unanswered make it throw. */
async function openLoop(url: string, app: App): Promise<{ requests: number; rps: number }> {
  const result = await runOpenLoop(LOAD_CPU, url, RATE, SLICE_SECONDS, app.headers);
  if (result.errors > 0) throw new Error(`${result.errors} requests failed at ${RATE}/s`);
  if (result.achieved < RATE * 0.95) throw new ShortSlice(`the server answered ${result.achieved.toFixed(0)} of ${RATE} requests/s`);
  return { requests: result.completed, rps: result.achieved };
}

/** The q-quantile of xs (linear between ranks). */
function quantile(xs: number[], q: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const low = Math.floor(at);
  return s[low]! + (s[Math.min(low + 1, s.length - 1)]! - s[low]!) * (at - low);
}

/** Student's t for a two-sided 95 % interval, by degrees of freedom (1–30; 1.96 beyond). */
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04];

/** Mean and 95 % interval of one figure per round. */
function interval(values: number[]): { mean: number; low: number; high: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  const half = (T95[values.length - 2] ?? 1.96) * Math.sqrt(variance / values.length);
  return { mean, low: mean - half, high: mean + half };
}

/**
 * Variant i against variant j: the geometric mean of the cycles' throughput ratios, with its 95 %
 * interval. The interval is taken over rounds, not cycles: the cycles of a round share their
 * processes, and a process can run a few % faster or slower than another of the same code for
 * its whole life (three copies of plain came out 0.948–0.967× the first, intervals over cycles, in one
 * run), which only more rounds average out.
 */
function ratio(rounds: Slice[][][], i: number, j: number): string {
  // At a fixed rate every variant serves the same requests/s: what differs is the CPU each takes.
  const of = (slice: Slice) => (RATE > 0 ? 1 / slice.cpuPerRequest : slice.rps);
  const logs = rounds.map((cycles) => cycles.reduce((sum, c) => sum + Math.log(of(c[i]!) / of(c[j]!)), 0) / cycles.length);
  const { mean, low, high } = interval(logs);
  return `${Math.exp(mean).toFixed(3)} [${Math.exp(low).toFixed(3)}–${Math.exp(high).toFixed(3)}]`;
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadShape = RATE > 0 ? `an open loop at ${RATE} requests/s, ${OPEN_CONNECTIONS} connections` : `${CONNECTIONS} connections`;
console.log(`bun ${Bun.version}; ${ROUNDS} rounds × ${SLICES} slices × ${SLICE_SECONDS} s per variant, ${loadShape}; server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; load average ${load()}`);
for (const app of apps) {
  const rounds: Slice[][][] = [];
  // A round with a slice short of RATE is run again (its figures would not compare): a stall of this
  // shared machine does that now and then; a RATE past a variant's capacity does it every round.
  let redone = 0;
  while (rounds.length < ROUNDS) {
    try {
      rounds.push(await round(app, rounds.length));
    } catch (error) {
      if (!(error instanceof ShortSlice) || ++redone > Math.max(2, ROUNDS / 4)) throw error;
      console.error(`bench/ab: round ${rounds.length + 1} run again: ${error.message}`);
    }
  }
  const all = rounds.flat();
  console.log(`\n${app.name} (GET ${app.path}); 95 % intervals over the ${ROUNDS} rounds${redone > 0 ? ` (${redone} run again, a slice short of ${RATE}/s)` : ''}`);
  if (RATE > 0) console.log('(× plain and × its floor: CPU a request, as capacity: plain\'s or the floor\'s CPU a request over the variant\'s)');
  console.log('variant               req/s   × plain [95 %]          CPU µs/req   user   Δ µs/req [95 %]         × its floor [95 %]');
  variants.forEach((variant, i) => {
    const delta = interval(rounds.map((cycles) => cycles.reduce((sum, c) => sum + c[i]!.cpuPerRequest - c[0]!.cpuPerRequest, 0) / cycles.length));
    // Against its floor (the floor, or the detail floor for full detail) when that ran too.
    const floor = variants.findIndex((v) => v.name === (variant.floor ?? 'floor'));
    console.log(
      `${variant.name.padEnd(18)} ${quantile(all.map((c) => c[i]!.rps), 0.5).toFixed(0).padStart(8)}   ${(i === 0 ? '1' : ratio(rounds, i, 0)).padEnd(22)}  ` +
        `${quantile(all.map((c) => c[i]!.cpuPerRequest), 0.5).toFixed(2).padStart(10)}   ${(quantile(all.map((c) => c[i]!.userShare), 0.5) * 100).toFixed(0).padStart(3)} %   ${(i === 0 ? '0' : `${delta.mean.toFixed(2)} [${delta.low.toFixed(2)}–${delta.high.toFixed(2)}]`).padEnd(22)}  ` +
        (i === 0 || floor <= 0 || floor === i ? '' : ratio(rounds, i, floor)),
    );
  });
}
sink.stop();
console.log(`\nload average at the end ${load()}`);
