// The apps and the ways of running them that bench/overhead.ts, bench/instructions.ts and
// bench/tail.ts compare.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installApp } from '../test/package/support/consumer.ts';

const REPO = join(import.meta.dir, '..');
/** A module of this repository, by absolute path: the benchmarks run the apps from elsewhere. */
export const own = (path: string): string => join(REPO, path);

/** A path given in the environment, absolute (variants start in another directory); a bare specifier stays as it is. */
export const given = (path: string): string => (/^\.{0,2}\//.test(path) ? resolve(path) : path);

/** The preload of another checkout's build, for before/after figures (BENCH_BASELINE). */
export function baselinePreload(checkout: string): string {
  const preload = join(resolve(checkout), 'dist/plugin/preload.js');
  if (!existsSync(preload)) throw new Error(`BENCH_BASELINE: ${preload} is missing; run \`bun run build\` in ${checkout} first`);
  return preload;
}
export interface Variant {
  name: string;
  /** The module given to --preload, or none. */
  preload?: string;
  env: Record<string, string>;
  /** The variant its CPU is compared with in the "over floor" column (default: floor). */
  floor?: string;
}

export interface App {
  key: string;
  name: string;
  file: string;
  path: string;
  headers: Record<string, string>;
  /** Worth the OpenTelemetry variant (it wraps fetch and `routes` functions like bun-apm). */
  otel: boolean;
  /** Packages the app imports, added beside bun-apm. */
  dependencies?: string[];
}

/** Full detail: every request's record, 5 % of requests traced. */
export const FULL_DETAIL = { BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0.05' };
/** Counts only: every request counted, no detail and no traces (both caps at 0). */
export const COUNTS_ONLY = { BUN_APM_SAMPLES_PER_SECOND: '0', BUN_APM_TRACES_PER_SECOND: '0' };
/** Only the work the defaults cannot skip, in one function (bench/apps/necessary-preload.ts). */
export const NECESSARY_PRELOAD = own('bench/apps/necessary-preload.ts');

export const VARIANTS: Variant[] = [
  { name: 'plain', env: {} },
  // Times each request and reads its traceparent, nothing else: the least a monitor that honours
  // incoming trace context can do.
  { name: 'floor', preload: own('bench/apps/floor-preload.ts'), env: {} },
  { name: 'defaults', preload: 'bun-apm/preload', env: {} },
  // The least a monitor shipping one record per request and 5 % of traces must do (its encoding and sending included).
  { name: 'detail floor', preload: own('bench/apps/floor-detail-preload.ts'), env: {} },
  { name: 'full detail', preload: 'bun-apm/preload', env: FULL_DETAIL, floor: 'detail floor' },
  { name: 'OpenTelemetry', preload: own('bench/apps/otel-preload.ts'), env: {} },
];

export const APPS: App[] = [
  { key: 'hello', name: 'hello world', file: 'bench/apps/hello.ts', path: '/', headers: {}, otel: true },
  { key: 'routes', name: '/users/:id routes', file: 'examples/routes-app.ts', path: '/users/1', headers: {}, otel: true },
  {
    key: 'realistic',
    name: 'realistic handler (authorization, query, ~1 KB JSON)',
    file: 'bench/apps/realistic.ts',
    path: '/search?q=bun&page=2',
    headers: { authorization: 'Bearer 0123456789abcdef0123456789abcdef' },
    otel: true,
  },
];

/**
 * Opt-in (`ONLY=express`): an Express 5 router, bun-apm's node:http path. Its floor is the
 * floor preload's node:http part; the detail floor and OpenTelemetry see Bun.serve only.
 */
if (process.env.ONLY?.split(',').includes('express')) {
  APPS.push({ key: 'express', name: 'Express 5 router (/users/:id)', file: 'bench/apps/express.ts', path: '/users/1', headers: {}, otel: false, dependencies: ['express@5.3.0'] });
}

/**
 * Opt-in (`ONLY=ids` in bench:instructions): hello world asked for a new `/users/{n}` every request,
 * as a plain fetch handler serving ids is, so every path is one bun-apm has not named before.
 */
export const IDS_APP: App = { key: 'ids', name: 'a new id every request (hello world, /users/{n})', file: 'bench/apps/hello.ts', path: '/users/{n}', headers: {}, otel: false };

// BENCH_STEPS=tp+url;tp+method adds bench/apps/steps-preload.ts once per `;`-separated group: the cost of each native step.
if (process.env.BENCH_STEPS) {
  for (const steps of process.env.BENCH_STEPS.split(';')) VARIANTS.push({ name: `steps ${steps}`, preload: given(process.env.BENCH_STEPS_PRELOAD ?? own('bench/apps/steps-preload.ts')), env: { STEPS: steps } });
}

// BENCH_NECESSARY=1 adds bench/apps/necessary-preload.ts: only the work the defaults cannot skip, in one function.
if (process.env.BENCH_NECESSARY) {
  VARIANTS.push({ name: 'necessary', preload: NECESSARY_PRELOAD, env: {} });
  VARIANTS.push({ name: 'necessary+modules', preload: own('bench/apps/necessary-modules-preload.ts'), env: {}, floor: 'necessary' });
}
// BENCH_COUNTS_ONLY=1 adds the defaults with no detail and no traces (both caps at 0): every request counted, nothing else kept.
if (process.env.BENCH_COUNTS_ONLY) VARIANTS.push({ name: 'counts only', preload: 'bun-apm/preload', env: COUNTS_ONLY, floor: 'necessary' });
// BENCH_NECESSARY_WITHOUT='record;route+buckets' adds it once per `;`-separated group, less those parts (see the preload).
if (process.env.BENCH_NECESSARY_WITHOUT) {
  for (const parts of process.env.BENCH_NECESSARY_WITHOUT.split(';')) VARIANTS.push({ name: `necessary -${parts}`, preload: NECESSARY_PRELOAD, env: { NECESSARY_WITHOUT: parts } });
}

// BENCH_DEFERRED=1 adds bench/apps/deferred-preload.ts: the necessary work, counted from a ring 1,024 requests at a time.
if (process.env.BENCH_DEFERRED) {
  VARIANTS.push({ name: 'deferred', preload: own('bench/apps/deferred-preload.ts'), env: {} });
  // …and reading no native getter (constants for the method, URL and status), against the deferred wrapper.
  VARIANTS.push({ name: 'deferred -native', preload: own('bench/apps/deferred-preload.ts'), env: { DEFERRED_NATIVE: '0' }, floor: 'deferred' });
}

// BENCH_NO_TIMERS=1 adds the defaults without the profiler's timers and the batch timer, as
// bench:instructions runs them (bench/apps/no-timers.config.ts): what those timers cost at full speed.
if (process.env.BENCH_NO_TIMERS) VARIANTS.push({ name: 'no-timers', preload: 'bun-apm/preload', env: { BUN_APM_CONFIG: own('bench/apps/no-timers.config.ts') } });

// BENCH_MODULES_ONLY=1 adds bun-apm's modules loaded and nothing started or wrapped
// (bench/apps/modules-only-preload.ts): what its code alone costs the app.
if (process.env.BENCH_MODULES_ONLY) VARIANTS.push({ name: 'modules only', preload: own('bench/apps/modules-only-preload.ts'), env: {}, floor: 'plain' });

// BENCH_BASELINE=/path/to/another/checkout adds its build's defaults and full detail (run `bun run
// build` there first), for before/after figures. Their "floor" is this build's same variant, so
// bench:ab's last column compares the two builds directly (the baseline's capacity over this one's).
if (process.env.BENCH_BASELINE) {
  VARIANTS.push({ name: 'baseline defaults', preload: baselinePreload(process.env.BENCH_BASELINE), env: {}, floor: 'defaults' });
  VARIANTS.push({ name: 'baseline full detail', preload: baselinePreload(process.env.BENCH_BASELINE), env: FULL_DETAIL, floor: 'full detail' });
}

/**
 * The package as an app gets it: packed (`npm pack`, which builds it) and installed with `bun add`
 * into a temporary app holding copies of the apps above, at the same relative paths. The
 * benchmarks start every variant from that directory, so `bun-apm/preload` is the installed build.
 * Started from this repository it is not: tsconfig.json's paths (which Bun applies at run time)
 * send it to src/, whose valibot module is the whole library (the build keeps 14 kB of it) — the
 * figures of earlier rounds measured that.
 */
export async function installPackage(): Promise<string> {
  const files = Object.fromEntries(APPS.map((app) => [app.file, readFileSync(own(app.file), 'utf8')]));
  return installApp({ name: 'bench-app', files, dependencies: APPS.flatMap((app) => app.dependencies ?? []) });
}
