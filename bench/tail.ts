// Tail latency below saturation, and where it goes: each variant serves a constant request rate
// (bench/load-client.ts's open loop, on the other core) with bench/apps/tail-probe-preload.ts
// loaded first, which reports from inside the server how long handler calls took, how long the
// app's thread was away between them (gaps of ≥ 1 ms: GC, timers, Bun's own work) and how long
// each timer callback ran. Variants take turns, order rotated, over ROUNDS rounds; medians printed.
//   bun bench/tail.ts   (APP=routes ROUNDS=3 SECONDS=8 SHARE=0.5 RATE=… VARIANTS=plain,defaults,… GCLOG=1 SETTLE=1)
import { readFileSync } from 'node:fs';
import { runLoadClient, runOpenLoop, waitUntilListening, wrk, freePort, type LoadClientResult } from './support/load.ts';
import { startSink } from './support/edge-answer.ts';
import { APPS, baselinePreload, COUNTS_ONLY, FULL_DETAIL, given, installPackage, NECESSARY_PRELOAD, own } from './variants.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 8);
const SHARE = Number(process.env.SHARE ?? 0.5);
const app = APPS.find((a) => a.key === (process.env.APP ?? 'routes'))!;
// PROBE=0 leaves the probe out: it adds to the heap it measures (JSC's GC log still works without it).
const PROBE = process.env.PROBE === '0' ? undefined : own('bench/apps/tail-probe-preload.ts');
// The package as an app gets it (installed from its tarball, as bench:overhead measures it); from
// source the preload loads the whole of valibot and package.json too, which the GC would mark.
const PRELOAD = given(process.env.TAIL_PRELOAD ?? 'bun-apm/preload');
const APP_DIR = await installPackage();
// MODE=closed: exactly REQUESTS requests over 16 connections instead of a rate: latency then means
// little on a loaded machine, but GC counts, stops and marked sizes per request still compare.
const CLOSED = process.env.MODE === 'closed';
const REQUESTS = Number(process.env.REQUESTS ?? 200_000);
const SETTLE = Number(process.env.SETTLE ?? 1);

interface TailVariant {
  name: string;
  preloads: string[];
  env: Record<string, string>;
}
const ALL: TailVariant[] = [
  { name: 'plain', preloads: [], env: {} },
  { name: 'floor', preloads: [own('bench/apps/floor-preload.ts')], env: {} },
  { name: 'modules only', preloads: [own('bench/apps/modules-only-preload.ts')], env: {} },
  { name: 'defaults', preloads: [PRELOAD], env: {} },
  { name: 'no-profiler', preloads: [PRELOAD], env: { BUN_APM_CONFIG: own('bench/apps/no-profiler.config.ts') } },
  { name: 'no-timers', preloads: [PRELOAD], env: { BUN_APM_CONFIG: own('bench/apps/no-timers.config.ts') } },
  { name: 'full detail', preloads: [PRELOAD], env: FULL_DETAIL },
  // Every request counted, none sampled or traced: what the counting alone does to the tail.
  { name: 'counts only', preloads: [PRELOAD], env: COUNTS_ONLY },
  // Only what counting every request exactly needs: the tail of any monitor that counts by route.
  { name: 'necessary', preloads: [NECESSARY_PRELOAD], env: {} },
];
if (process.env.BENCH_BASELINE) ALL.push({ name: 'baseline', preloads: [baselinePreload(process.env.BENCH_BASELINE)], env: {} });
const wanted = (process.env.VARIANTS ?? 'plain,floor,defaults,no-profiler,no-timers').split(',');
const variants = ALL.filter((v) => wanted.includes(v.name));

const sink = startSink();

async function start(variant: TailVariant) {
  const port = freePort();
  const preloads = [...(PROBE ? [PROBE] : []), ...variant.preloads].flatMap((p) => ['--preload', p]);
  const child = Bun.spawn(['taskset', '-c', '0', process.execPath, ...preloads, app.file], {
    cwd: APP_DIR,
    env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: sink.endpoint, BUN_APM_INGEST_KEY: 'bench', BUN_APM_APP: 'tail', ...(process.env.GCLOG ? { BUN_JSC_logGC: '1' } : {}), ...variant.env },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  let stderr = '';
  void (async () => {
    const decoder = new TextDecoder();
    const reader = child.stderr.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) stderr += decoder.decode(read.value, { stream: true });
  })();
  await waitUntilListening(port, app.file, () => stderr);
  return { child, url: `http://127.0.0.1:${port}${app.path}`, stderr: () => stderr };
}

/** wrk's warm-up and rate probe: the load core, 32 connections. */
const WRK = { cpu: '1', connections: 32 };

/** The load on the other core: the open loop at `rate`, or CLOSED's exact number of requests. */
function load(url: string, rate: number): Promise<LoadClientResult> {
  if (!CLOSED) return runOpenLoop('1', url, rate, SECONDS, app.headers);
  return runLoadClient('1', `closedLoop(${JSON.stringify(url)}, ${REQUESTS}, 16, ${JSON.stringify(app.headers)})`);
}

interface Row {
  p50: number;
  p99: number;
  p999: number;
  gaps1: number;
  gapMs: number;
  handlers1: number;
  handlerMax: number;
  timerMs: number;
  timerMax: number;
  edens: number;
  fulls: number;
  gcPauseMs: number;
  edenPauses: number[];
  fullPauseMs: number[];
  fullStops: number[];
  fullVisitedKb: number[];
  heapMiB: number;
  timers: Record<string, { n: number; totalMs: number; maxMs: number }>;
}

async function measure(variant: TailVariant, rate: number): Promise<Row> {
  const server = await start(variant);
  try {
    // SETTLE=25: that many seconds under load first, so that startup's code has aged out of the
    // heap (JSC drops code blocks that go unused) as in an app that has run for a while.
    await wrk(server.url, SETTLE, app.headers, WRK);
    // The probe's counters start now: a first report is taken and subtracted.
    if (PROBE) server.child.kill('SIGUSR2');
    await Bun.sleep(100);
    const before = PROBE ? lastProbe(server.stderr()) : NO_PROBE;
    const logFrom = server.stderr().length;
    const latency = await load(server.url, rate);
    if (PROBE) server.child.kill('SIGUSR2');
    await Bun.sleep(200);
    const after = PROBE ? lastProbe(server.stderr()) : NO_PROBE;
    const gc = gcOf(server.stderr().slice(logFrom));
    const timers: Row['timers'] = {};
    let timerMs = 0;
    let timerMax = 0;
    for (const [label, t] of Object.entries(after.timers)) {
      const b = before.timers[label] ?? { n: 0, totalMs: 0 };
      timers[label] = { n: t.n - b.n, totalMs: t.totalMs - b.totalMs, maxMs: t.maxMs };
      timerMs += t.totalMs - b.totalMs;
      timerMax = Math.max(timerMax, t.maxMs);
    }
    return {
      ...latency,
      gaps1: after.gaps.atLeast['1']! - before.gaps.atLeast['1']!,
      gapMs: after.gaps.longMs - before.gaps.longMs,
      handlers1: after.handlers.atLeast['1']! - before.handlers.atLeast['1']!,
      handlerMax: after.handlers.maxMs,
      timerMs,
      timerMax,
      ...gc,
      heapMiB: after.heap.heapSizeMiB,
      timers,
    };
  } finally {
    server.child.kill('SIGKILL');
    await server.child.exited;
  }
}

/**
 * GC collections from JSC's own log (GCLOG=1: BUN_JSC_logGC): each collection's stop-the-world
 * pauses (a full collection that marks concurrently stops the app several times) and the most it
 * marked (`v=…kb`), which does not depend on the machine's load.
 */
function gcOf(log: string) {
  const eden: number[] = [];
  const full: Array<{ pauses: number[]; visitedKb: number }> = [];
  let current: { pauses: number[]; visitedKb: number; full: boolean } | undefined;
  for (const line of log.split('\n')) {
    const started = /START M \d+kb => (Eden|Full)Collection/.exec(line);
    if (started) current = { pauses: [], visitedKb: 0, full: started[1] === 'Full' };
    if (current === undefined) continue;
    for (const m of line.matchAll(/p=([\d.]+)ms/g)) current.pauses.push(Number(m[1]));
    for (const m of line.matchAll(/v=(\d+)kb/g)) current.visitedKb = Math.max(current.visitedKb, Number(m[1]));
    if (line.includes('GC END!')) {
      if (current.full) full.push(current);
      else eden.push(current.pauses.reduce((a, b) => a + b, 0));
      current = undefined;
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    edens: eden.length,
    fulls: full.length,
    gcPauseMs: sum(eden) + sum(full.map((f) => sum(f.pauses))),
    edenPauses: eden,
    fullPauseMs: full.map((f) => sum(f.pauses)),
    fullStops: full.map((f) => f.pauses.length),
    fullVisitedKb: full.map((f) => f.visitedKb),
  };
}

interface ProbeTally {
  n: number;
  totalMs: number;
  maxMs: number;
  longMs: number;
  atLeast: Record<string, number>;
}
interface Probe {
  handlers: ProbeTally;
  gaps: ProbeTally;
  timers: Record<string, ProbeTally>;
  heap: { heapSizeMiB: number };
}
const NO_TALLY: ProbeTally = { n: 0, totalMs: 0, maxMs: NaN, longMs: 0, atLeast: { '1': 0 } };
const NO_PROBE: Probe = { handlers: NO_TALLY, gaps: NO_TALLY, timers: {}, heap: { heapSizeMiB: NaN } };

function lastProbe(stderr: string): Probe {
  const lines = stderr.split('\n').filter((l) => l.startsWith('TAIL-PROBE '));
  if (lines.length === 0) throw new Error(`no probe report:\n${stderr.slice(-2000)}`);
  return JSON.parse(lines.at(-1)!.slice('TAIL-PROBE '.length)) as Probe;
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

console.log(`bun ${Bun.version}; ${app.name}; ${ROUNDS} rounds${CLOSED ? '' : ` × ${SECONDS} s open loop`}; load average at start ${loadavg()}`);
let rate = Number(process.env.RATE ?? 0);
if (!rate && !CLOSED) {
  const plain = await start(ALL[0]!);
  try {
    await wrk(plain.url, 1, app.headers, WRK);
    rate = Math.round((await wrk(plain.url, 3, app.headers, WRK)).rps * SHARE);
  } finally {
    plain.child.kill('SIGKILL');
    await plain.child.exited;
  }
}
console.log(CLOSED ? `closed loop: ${REQUESTS} requests, 16 connections` : `rate ${rate}/s`);
const rows = new Map<string, Row[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
  for (const variant of order) {
    const row = await measure(variant, rate);
    rows.get(variant.name)!.push(row);
    if (process.env.VERBOSE) console.log(variant.name, JSON.stringify(row));
  }
}
console.log('variant          p50 ms   p99 ms  p99.9 ms  gaps≥1ms  in gaps ms  handlers≥1ms  timers ms  timer max  eden/full GCs  GC pause ms  heap MiB');
for (const [name, list] of rows) {
  const eden = list.flatMap((r) => r.edenPauses);
  const all = (k: 'fullPauseMs' | 'fullStops' | 'fullVisitedKb') => median(list.flatMap((r) => r[k]));
  const m = (k: keyof Omit<Row, 'timers' | 'edenPauses' | 'fullPauseMs' | 'fullStops' | 'fullVisitedKb'>) => median(list.map((r) => r[k]));
  console.log(
    `${name.padEnd(14)} ${m('p50').toFixed(3).padStart(8)} ${m('p99').toFixed(3).padStart(8)} ${m('p999').toFixed(3).padStart(9)} ${m('gaps1').toFixed(0).padStart(9)} ${m('gapMs').toFixed(1).padStart(11)}` +
      ` ${m('handlers1').toFixed(0).padStart(13)} ${m('timerMs').toFixed(2).padStart(10)} ${m('timerMax').toFixed(2).padStart(10)} ${`${m('edens')}/${m('fulls')}`.padStart(14)} ${m('gcPauseMs').toFixed(1).padStart(12)} ${m('heapMiB').toFixed(1).padStart(9)}` +
      (eden.length ? `  eden pause median ${median(eden).toFixed(3)} ms; full: ${all('fullStops')} stops, ${all('fullPauseMs').toFixed(3)} ms, marked ${all('fullVisitedKb')} KiB (medians)` : ''),
  );
}
if (process.env.TIMERS) {
  for (const [name, list] of rows) {
    const labels = new Set(list.flatMap((r) => Object.keys(r.timers)));
    for (const label of labels) {
      const ts = list.map((r) => r.timers[label]).filter((t) => t !== undefined);
      console.log(`  ${name}: ${label}: n ${median(ts.map((t) => t.n))}, total ${median(ts.map((t) => t.totalMs)).toFixed(2)} ms, max ${Math.max(...ts.map((t) => t.maxMs)).toFixed(2)} ms`);
    }
  }
}
console.log(`load average at the end ${loadavg()}`);
sink.stop();
process.exit(0);
