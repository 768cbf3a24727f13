// Names the JIT code in bench:instructions' callgrind dumps. Bun is stripped and callgrind shows JIT
// code as `???:0x…`; with KEEP_DUMPS, JSC also writes a jitdump (the perf format: each piece of
// code it generates, with its address, size and name, e.g. `JSC-FTL: bunApmHandler#AqZ2YG`) and this
// script joins the two. Unlike a dump's total, which carries garbage collections paced by wall
// time (under valgrind a request takes 20–40 times as long, so the timers' share is as much
// larger), a JavaScript function's instructions per request hardly move between counts.
//   KEEP_DUMPS=/tmp/dumps bun bench/instructions.ts   then   bun bench/jit-names.ts /tmp/dumps   (TOP=12; COUNT=40000 for dumps named without their count)
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { codeAt, jitCode } from './support/jitdump.ts';

/** Requests counted, from the dump's name (`…-40000x-<port>.callgrind`), else COUNT. */
const countOf = (file: string): number => Number(/-(\d+)x-\d+\.callgrind$/.exec(file)?.[1] ?? process.env.COUNT ?? 40_000);
const TOP = Number(process.env.TOP ?? 12);

/** Instructions per function from callgrind_annotate (exclusive), by function label. */
function functionCosts(dump: string): Map<string, number> {
  const run = Bun.spawnSync(['callgrind_annotate', '--threshold=100', dump]);
  if (run.exitCode !== 0) throw new Error(`callgrind_annotate failed on ${dump}: ${run.stderr.toString()}`);
  const costs = new Map<string, number>();
  for (const line of run.stdout.toString().split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$/.exec(line);
    if (match && (match[2]!.includes(':') || match[2]!.startsWith('PROGRAM TOTALS'))) costs.set(match[2]!.trim(), Number(match[1]!.replaceAll(',', '')));
  }
  return costs;
}

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error('usage: bun bench/jit-names.ts <KEEP_DUMPS folder>');
  process.exit(1);
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.callgrind')).sort()) {
  const jitdump = join(dir, file.replace(/\.callgrind$/, '.jitdump'));
  if (!existsSync(jitdump)) {
    console.log(`\n${file}: no jitdump beside it`);
    continue;
  }
  const codes = jitCode(jitdump);
  const byName = new Map<string, number>();
  let total = 0;
  let jit = 0;
  for (const [label, cost] of functionCosts(join(dir, file))) {
    if (label.startsWith('PROGRAM TOTALS')) total = cost;
    const address = /^\?\?\?:0x([0-9a-f]+)(?:'\d+)? \[\?\?\?\]$/.exec(label)?.[1];
    if (address === undefined) continue;
    jit += cost;
    const name = codeAt(codes, BigInt(`0x${address}`))?.name ?? 'unnamed JIT code';
    byName.set(name, (byName.get(name) ?? 0) + cost);
  }
  const count = countOf(file);
  const perRequest = (n: number): string => (n / count).toFixed(0).padStart(7);
  console.log(`\n${file}: ${perRequest(total)} instructions a request, ${perRequest(jit)} of them JIT code`);
  for (const [name, cost] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${perRequest(cost)}  ${name}`);
}
