// Instructions per request, counted by callgrind: the one overhead figure that does not move when
// other work shares the machine (wall time and even CPU time do). Each app runs under
// `valgrind --tool=callgrind` with counting off, is warmed up (so the JIT has settled), then counts
// a fixed number of requests from bench/load-client.ts. A long warm-up matters: with 20,000 requests
// the JIT is still compiling bun-apm's wrapper during the count (+650 instructions per request). Instructions include everything the
// process does for them: Bun's HTTP work, the JIT, the GC and its threads.
//   bun bench/instructions.ts            (WARM=100000 COUNT=40000 to change the defaults; ONLY=hello,routes VARIANTS=plain,defaults REPEAT=2; ONLY=ids adds an app asked for a new id every request; KEEP_DUMPS=dir keeps the callgrind dumps, and JSC's jitdumps that name their JIT code: bench/jit-names.ts reads them; with CALLGRIND_ARGS=--dump-instr=yes too, bench/jit-listing.ts lists one function's machine code with its counts)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRELOAD } from '../src/core/config/preload-settings.ts';
import { closedLoop } from './load-client.ts';
import { waitUntilListening } from './support/load.ts';
import { APPS, IDS_APP, installPackage, own, VARIANTS, type App, type Variant } from './variants.ts';

const WARM = Number(process.env.WARM ?? 100_000);
const APP_DIR = await installPackage();
const COUNT = Number(process.env.COUNT ?? 40_000);
const ONLY = process.env.ONLY?.split(',');
const VARIANT_ONLY = process.env.VARIANTS?.split(',');
/** A folder to keep each count's callgrind dump in, for `callgrind_annotate` (Bun is stripped: its functions show as addresses, JIT code as `???`). */
const KEEP = process.env.KEEP_DUMPS;
if (KEEP) mkdirSync(KEEP, { recursive: true });
/** More callgrind options, e.g. CALLGRIND_ARGS=--dump-instr=yes for counts by instruction (bench/jit-listing.ts reads them). */
const CALLGRIND_ARGS = process.env.CALLGRIND_ARGS?.split(' ').filter(Boolean) ?? [];
const PLAIN = VARIANTS.find((v) => v.name === 'plain')!;

if (Bun.spawnSync(['sh', '-c', 'command -v valgrind && command -v callgrind_control']).exitCode !== 0) {
  console.error('bench/instructions: valgrind is missing. Install it with `apt-get install -y valgrind` and run again.');
  process.exit(1);
}

function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/**
 * Requests per second the app serves natively (no valgrind, no preload) on the same closed loop.
 * The client shares the two cores, so this is if anything below the app's own maximum: the caps
 * come out higher than their share at saturation, and the defaults' count errs on the high side.
 */
async function nativeRate(app: App): Promise<number> {
  const port = freePort();
  const child = Bun.spawn([process.execPath, app.file], { cwd: APP_DIR, env: { ...process.env, PORT: String(port) }, stdout: 'ignore', stderr: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}${app.path}`;
    await waitUntilListening(port, app.file);
    await closedLoop(url, 20_000, 8, app.headers);
    const timed = await closedLoop(url, 50_000, 8, app.headers);
    return (timed.completed / timed.elapsedMs) * 1000;
  } finally {
    child.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * Detail and traces are capped per second, and under valgrind requests run several times slower:
 * the same caps sample that many times the share of requests they sample at full speed (measured:
 * +800 to +950 instructions a request at the defaults, all of it detail records and their
 * encoding). The caps are divided by the slowdown measured in this run (plain's warm-up under
 * valgrind against plain natively, ×3 to ×7), so the share sampled comes near the share at
 * saturation. It errs high: counted requests run slower still (×20 to ×43), so there the caps
 * sample up to ~8× their share. Divided by the counted slowdown instead, two repeats of one variant
 * differed by up to 3,000 instructions (up to ~400 this way), most likely the seldom sampled request's
 * code being compiled during the count. A cap set in the environment is kept.
 */
function scaledCaps(slowdown: number): Record<string, string> {
  if (!(Number.isFinite(slowdown) && slowdown > 0)) throw new Error(`bench/instructions: valgrind's slowdown came out as ${slowdown}; the caps cannot be scaled`);
  const caps: Record<string, string> = {};
  for (const setting of [PRELOAD.samplesPerSecond, PRELOAD.tracesPerSecond, PRELOAD.parentTracesPerSecond]) {
    const env = setting.env!;
    caps[env] = process.env[env] || String(setting.default! / slowdown);
  }
  return caps;
}

interface Count {
  instructions: number;
  /** Requests per second during the warm-up, under valgrind. */
  warmRate: number;
  /** Requests per second while counted (callgrind counting slows the app further). */
  countRate: number;
}

async function instructionsPerRequest(app: App, variant: Variant, caps: Record<string, string>): Promise<Count> {
  const port = freePort();
  const out = join(tmpdir(), `bun-apm-cg-${process.pid}-${port}`);
  // With KEEP_DUMPS, JSC writes a jitdump (every piece of JIT code, named) into a folder of this count's own.
  const jitDir = `${out}-jit`;
  if (KEEP) mkdirSync(jitDir, { recursive: true });
  const preload = variant.preload ? ['--preload', variant.preload] : [];
  const child = Bun.spawn(['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, ...CALLGRIND_ARGS, process.execPath, ...preload, app.file], {
    cwd: APP_DIR,
    // No endpoint: nothing is shipped, so no send, retry or heartbeat lands in the count (under
    // valgrind requests are 3–43× slower, which would inflate the share of such periodic work as much).
    env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: '', BUN_APM_APP: 'bench', BUN_APM_CONFIG: own('bench/apps/no-timers.config.ts'), ...(KEEP ? { BUN_JSC_useJITDump: '1', BUN_JSC_jitDumpDirectory: jitDir } : {}), ...caps, ...variant.env },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  try {
    const url = `http://127.0.0.1:${port}${app.path}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await closedLoop(url, 1, 1, app.headers);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`${app.file} did not start under valgrind`);
        await Bun.sleep(200);
      }
    }
    const warm = await whileAlive(child, closedLoop(url, WARM, 8, app.headers));
    Bun.spawnSync(['callgrind_control', '-i', 'on', String(child.pid)]);
    const counted = await whileAlive(child, closedLoop(url, COUNT, 8, app.headers));
    Bun.spawnSync(['callgrind_control', '-d', String(child.pid)]);
    const dump = readFileSync(`${out}.1`, 'utf8');
    const total = Number(/^(?:summary|totals):\s*(\d+)/m.exec(dump)?.[1] ?? NaN);
    // The count is in the name: bench/jit-names.ts divides by it.
    if (KEEP) keepDumps(`${out}.1`, jitDir, `${app.key}-${variant.name.replaceAll(' ', '-')}-${COUNT}x-${port}`);
    return { instructions: total / COUNT, warmRate: (warm.completed / warm.elapsedMs) * 1000, countRate: (counted.completed / counted.elapsedMs) * 1000 };
  } finally {
    child.kill('SIGKILL');
    await child.exited;
    rmSync(out, { force: true });
    rmSync(`${out}.1`, { force: true });
    rmSync(jitDir, { recursive: true, force: true });
  }
}

/**
 * Copies a count's callgrind dump, and the jitdump JSC wrote (its last record may still be cut
 * short: bench/jit-names.ts stops there). Writing the jitdump costs the count a little when code
 * is compiled during it, so counts kept this way are not quite those of a run without.
 */
function keepDumps(dump: string, jitDir: string, name: string): void {
  copyFileSync(dump, join(KEEP!, `${name}.callgrind`));
  const [jit] = readdirSync(jitDir);
  if (jit === undefined) console.error(`bench/instructions: no jitdump for ${name}; bench/jit-names.ts cannot name its JIT code`);
  else copyFileSync(join(jitDir, jit), join(KEEP!, `${name}.jitdump`));
}

/**
 * The load, or the app's death under valgrind as an error: valgrind kills an app with SIGILL on
 * instructions it does not know (Bun's HTTP client thread uses SSE4.2 string compares, so nothing
 * may send: no endpoint is set here).
 */
async function whileAlive<T>(child: { exited: Promise<number> }, load: Promise<T>): Promise<T> {
  const died = child.exited.then((code) => {
    throw new Error(`the app exited (code ${code}) under valgrind during the load`);
  });
  return Promise.race([load, died]);
}

console.log(`instructions per request (callgrind), ${WARM} warm-up requests, ${COUNT} counted, bun ${Bun.version}`);
for (const app of [...APPS, IDS_APP]) {
  if (ONLY ? !ONLY.includes(app.key) : app === IDS_APP) continue;
  const results = new Map<string, number>();
  const repeat = Number(process.env.REPEAT ?? 1);
  // Plain always runs first: it is the "added" column's baseline and gives valgrind's slowdown.
  const native = await nativeRate(app);
  const plainCount = await instructionsPerRequest(app, PLAIN, {});
  results.set('plain', plainCount.instructions);
  const slowdown = native / plainCount.warmRate;
  const caps = scaledCaps(slowdown);
  const others = VARIANTS.filter((v) => v !== PLAIN && (v.name !== 'OpenTelemetry' || app.otel) && (!VARIANT_ONLY || VARIANT_ONLY.includes(v.name)));
  for (let r = 0; r < repeat; r++) {
    if (r > 0) results.set(`plain #${r + 1}`, (await instructionsPerRequest(app, PLAIN, {})).instructions);
    for (const variant of others) results.set(r === 0 ? variant.name : `${variant.name} #${r + 1}`, (await instructionsPerRequest(app, variant, caps)).instructions);
  }
  const plain = results.get('plain')!;
  const floor = results.get('floor');
  console.log(`\n${app.name} (GET ${app.path})`);
  console.log(`plain: ${native.toFixed(0)} req/s natively; under valgrind ${plainCount.warmRate.toFixed(0)} in the warm-up (×${slowdown.toFixed(0)} slower), ${plainCount.countRate.toFixed(0)} while counted (×${(native / plainCount.countRate).toFixed(0)})`);
  console.log(`per-second caps ÷ ${slowdown.toFixed(1)}: ${Object.values(caps).map((c) => Number(c).toPrecision(2)).join(' / ')} (detail / traces / callers' traces)`);
  console.log('variant            instr/req    added   over floor');
  for (const [name, value] of results) {
    console.log(
      `${name.padEnd(16)} ${value.toFixed(0).padStart(10)} ${(value - plain).toFixed(0).padStart(8)} ${floor === undefined || name === 'plain' ? '' : (value - floor).toFixed(0).padStart(10)}`,
    );
  }
}
