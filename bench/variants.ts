// The apps and the ways of running them that bench/overhead.ts and bench/instructions.ts compare.
import { join } from 'node:path';
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
}

export const VARIANTS: Variant[] = [
  { name: 'plain', env: {} },
  // Times each request and reads its traceparent, nothing else: the least a monitor that honours
  // incoming trace context can do.
  { name: 'floor', preload: './bench/apps/floor-preload.ts', env: {} },
  { name: 'defaults', preload: 'bun-apm/preload', env: {} },
  // The least a monitor shipping one record per request and 5 % of traces must do (its encoding and sending included).
  { name: 'detail floor', preload: './bench/apps/floor-detail-preload.ts', env: {} },
  { name: 'full detail', preload: 'bun-apm/preload', env: { BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0.05' }, floor: 'detail floor' },
  { name: 'OpenTelemetry', preload: './bench/apps/otel-preload.ts', env: {} },
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

// BENCH_STEPS=tp+url;tp+method adds bench/apps/steps-preload.ts once per `;`-separated group: the cost of each native step.
if (process.env.BENCH_STEPS) {
  for (const steps of process.env.BENCH_STEPS.split(';')) VARIANTS.push({ name: `steps ${steps}`, preload: process.env.BENCH_STEPS_PRELOAD ?? './bench/apps/steps-preload.ts', env: { STEPS: steps } });
}

// BENCH_BASELINE=/path/to/another/checkout adds its preload's defaults, for before/after figures.
if (process.env.BENCH_BASELINE) {
  VARIANTS.push({ name: 'baseline defaults', preload: `${process.env.BENCH_BASELINE}/src/plugin/preload.ts`, env: {} });
}

/**
 * Builds the package (scripts/build.ts → dist/), since the bun-apm variants preload `bun-apm/preload`
 * as an app gets it: without this a fresh clone has no dist/, and an old one measures old code.
 */
export function buildPackage(): void {
  const build = Bun.spawnSync([process.execPath, 'scripts/build.ts'], { cwd: join(import.meta.dir, '..'), stdout: 'ignore', stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`the package build failed:\n${build.stderr.toString()}`);
}
