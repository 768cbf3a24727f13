// What the preload costs a Bun app. Two apps (hello world; a `/users/:id` routes app) run plain,
// preloaded with the defaults, and preloaded with full detail (sampleRate 1, traceSampleRate 0.05),
// next to a floor: bench/apps/floor-preload.ts, which only times each request and reads its
// `traceparent` (the least any monitor honouring incoming trace context can do on Bun),
// shipping to a local sink; the variants take turns (interleaved) over several rounds, and medians
// are printed next to the plain figures of the same run. Load comes from wrk on another core
// (taskset). The steadiest figure on a shared machine is server CPU µs per request (process CPU
// time / requests). Then: bytes shipped per request at sampleRate 0.01, and RSS growth over
// 1,000,000 requests with the sink down.
//
//   bun bench/overhead.ts            (ROUNDS=5 SECONDS=5 CONNECTIONS=32 to change the defaults)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dir, '..');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const GROWTH_REQUESTS = Number(process.env.GROWTH_REQUESTS ?? 1_000_000);
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

interface Variant {
  name: string;
  /** The module given to --preload, or none. */
  preload?: string;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'plain', env: {} },
  { name: 'floor', preload: './bench/apps/floor-preload.ts', env: {} },
  { name: 'defaults', preload: 'bun-apm/preload', env: {} },
  { name: 'full detail', preload: 'bun-apm/preload', env: { BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0.05' } },
];

const APPS = [
  { name: 'hello world', file: 'bench/apps/hello.ts', path: '/' },
  { name: '/users/:id routes', file: 'examples/routes-app.ts', path: '/users/1' },
];

// The sink: counts the compressed bytes each app instance ships.
const shipped = new Map<string, number>();
const sink = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const body = new Uint8Array(await request.arrayBuffer());
    const batch = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(body))) as { identity: { app: string } };
    shipped.set(batch.identity.app, (shipped.get(batch.identity.app) ?? 0) + body.byteLength);
    return new Response(null, { status: 202 });
  },
});

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** utime + stime of a process, µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function startServer(file: string, variant: Variant, app: string, endpoint: string) {
  const port = freePort();
  const preload = variant.preload ? ['--preload', variant.preload] : [];
  const child = Bun.spawn(['taskset', '-c', SERVER_CPU, process.execPath, ...preload, file], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: endpoint, BUN_APM_INGEST_KEY: 'bench', BUN_APM_APP: app, ...variant.env },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      socket.end();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${file} did not start`);
      await Bun.sleep(20);
    }
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n;
}

/** Runs wrk without blocking this process, whose event loop serves the sink meanwhile. */
async function wrk(url: string, seconds: number, connections = CONNECTIONS): Promise<WrkResult> {
  const child = Bun.spawn(['taskset', '-c', LOAD_CPU, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdout: 'pipe', stderr: 'ignore' });
  const out = await new Response(child.stdout).text();
  await child.exited;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  if (!Number.isFinite(requests)) throw new Error(`could not read wrk's output:\n${out}`);
  return { requests, rps, p50, p99 };
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  rss: number;
  bytesPerRequest: number;
}

async function measure(app: (typeof APPS)[number], variant: Variant, tag: string): Promise<Sample> {
  const { child, url } = await startServer(app.file, variant, tag, sink.url.href);
  try {
    await wrk(`${url}${app.path}`, 1); // warm-up: JIT, connections, first profile
    const cpuBefore = cpuMicros(child.pid);
    const result = await wrk(`${url}${app.path}`, SECONDS);
    const cpu = cpuMicros(child.pid) - cpuBefore;
    const rss = rssBytes(child.pid);
    child.kill('SIGTERM'); // the final flush ships what is left, so bytes per request are complete
    await child.exited;
    return { rps: result.rps, p50: result.p50, p99: result.p99, cpuPerRequest: cpu / result.requests, rss, bytesPerRequest: (shipped.get(tag) ?? 0) / result.requests };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await child.exited;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`bun ${Bun.version}, ${cores} cores, server on CPU ${SERVER_CPU}, wrk on CPU ${LOAD_CPU}; ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections`);
let run = 0;
for (const app of APPS) {
  const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no variant always runs first (warm caches, thermal drift).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
    for (const variant of order) samples.get(variant.name)!.push(await measure(app, variant, `bench-${run++}`));
  }
  const med = (name: string, key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
  console.log(`\n${app.name} (GET ${app.path})`);
  console.log('variant        req/s     ×plain  p50 ms  p99 ms  CPU µs/req  Δ µs/req  over floor  RSS MiB  bytes shipped/req');
  for (const variant of VARIANTS) {
    const n = variant.name;
    console.log(
      `${n.padEnd(12)} ${med(n, 'rps').toFixed(0).padStart(8)}  ${(med(n, 'rps') / med('plain', 'rps')).toFixed(3).padStart(6)}  ${med(n, 'p50').toFixed(3).padStart(6)}  ${med(n, 'p99').toFixed(3).padStart(6)}` +
        `  ${med(n, 'cpuPerRequest').toFixed(2).padStart(10)}  ${(med(n, 'cpuPerRequest') - med('plain', 'cpuPerRequest')).toFixed(2).padStart(8)}` +
        `  ${(n === 'plain' ? '' : (med(n, 'cpuPerRequest') - med('floor', 'cpuPerRequest')).toFixed(2)).padStart(10)}` +
        `  ${(med(n, 'rss') / 2 ** 20).toFixed(1).padStart(7)}  ${med(n, 'bytesPerRequest').toFixed(2).padStart(17)}`,
    );
  }
}

// Bytes shipped per request at sampleRate 0.01, on the routes app.
{
  const lean: Variant = { name: 'sampleRate 0.01', preload: 'bun-apm/preload', env: { BUN_APM_SAMPLE_RATE: '0.01' } };
  const bytes = [];
  for (let round = 0; round < Math.min(ROUNDS, 3); round++) bytes.push((await measure(APPS[1]!, lean, `bench-${run++}`)).bytesPerRequest);
  console.log(`\nbytes shipped per request at sampleRate 0.01 (routes app, defaults otherwise): ${median(bytes).toFixed(2)}`);
}

// RSS growth over GROWTH_REQUESTS requests with the sink down (nothing listens at the endpoint).
{
  console.log(`\nRSS growth over ${GROWTH_REQUESTS.toLocaleString('en')} requests, sink down (routes app):`);
  for (const variant of VARIANTS.filter((v) => v.name === 'plain' || v.name === 'defaults')) {
    const down = `http://127.0.0.1:${freePort()}`;
    const { child, url } = await startServer(APPS[1]!.file, variant, `growth-${variant.name}`, down);
    try {
      await wrk(`${url}/users/1`, 2);
      const before = rssBytes(child.pid);
      let served = 0;
      while (served < GROWTH_REQUESTS) served += (await wrk(`${url}/users/1`, 5)).requests;
      const after = rssBytes(child.pid);
      console.log(`  ${variant.name.padEnd(10)} ${(before / 2 ** 20).toFixed(1)} MiB → ${(after / 2 ** 20).toFixed(1)} MiB after ${served.toLocaleString('en')} requests (growth ${((after - before) / 2 ** 20).toFixed(1)} MiB)`);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  }
}

sink.stop(true);
if (!existsSync('/proc/self/stat')) console.log('(CPU and RSS figures need Linux /proc)');
