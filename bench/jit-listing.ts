// The machine code of one JIT-compiled function with what each instruction ran per request: where
// inside bun-apm's wrapper the instructions go, which bench/jit-names.ts can only total. Needs a
// count kept with its instruction-level costs and JSC's jitdump (which holds the code's bytes):
//   CALLGRIND_ARGS=--dump-instr=yes KEEP_DUMPS=/tmp/dumps bun bench/instructions.ts
//   bun bench/jit-listing.ts /tmp/dumps/<count>.callgrind bunApmHandler   (MIN=0.5: hide instructions run less often a request)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeAt, jitCode, type JitCode } from './support/jitdump.ts';

/** Self cost by instruction address, from a dump written with --dump-instr=yes (calls' inclusive costs left out). */
function costsByAddress(dump: string): Map<bigint, number> {
  const costs = new Map<bigint, number>();
  let positions = 1; // "positions: instr line" puts a line number after each address
  let last = 0n;
  let skipNext = false;
  for (const line of readFileSync(dump, 'utf8').split('\n')) {
    if (line.startsWith('positions:')) {
      if (!line.includes('instr')) throw new Error(`${dump} has no counts by instruction (${line}): count again with CALLGRIND_ARGS=--dump-instr=yes`);
      positions = line.split(/\s+/).length - 1;
    }
    const fields = line.split(' ');
    const at = fields[0]!;
    if (!/^(0x[0-9a-f]+|[+-]\d+|\*)$/.test(at) || fields.length < positions + 1) {
      if (line.startsWith('calls=')) skipNext = true;
      continue;
    }
    last = at === '*' ? last : at.startsWith('0x') ? BigInt(at) : last + BigInt(at);
    if (skipNext) {
      skipNext = false; // the call's line: the callee's cost, counted where the callee runs
      continue;
    }
    costs.set(last, (costs.get(last) ?? 0) + Number(fields[positions]));
  }
  return costs;
}

const [dump, wanted] = process.argv.slice(2);
if (!dump || !wanted) {
  console.error('usage: bun bench/jit-listing.ts <count>.callgrind <function name>');
  process.exit(1);
}
const count = Number(/-(\d+)x-\d+\.callgrind$/.exec(dump)?.[1] ?? process.env.COUNT ?? 40_000);
const min = Number(process.env.MIN ?? 0.5);
const costs = costsByAddress(dump);
const allCodes = jitCode(dump.replace(/\.callgrind$/, '.jitdump'));
const within = (code: JitCode, address: bigint): boolean => address >= code.address && address < code.address + code.size;
/** JSC frees code and reuses its memory: an address's count goes to the code loaded there last, as bench/jit-names.ts has it. */
const owner = (address: bigint): JitCode | undefined => codeAt(allCodes, address);
const candidates = allCodes.filter((code) => code.name.includes(wanted));
const costOf = new Map<JitCode, number>();
for (const [address, cost] of costs) {
  if (!candidates.some((code) => within(code, address))) continue;
  const code = owner(address)!;
  if (candidates.includes(code)) costOf.set(code, (costOf.get(code) ?? 0) + cost);
}
const code = [...costOf].sort((a, b) => b[1] - a[1])[0]?.[0];
if (code === undefined) {
  console.error(`no JIT code named like ${wanted} ran in this count`);
  process.exit(1);
}
const later = allCodes.slice(allCodes.indexOf(code) + 1).filter((other) => other.address < code.address + code.size && code.address < other.address + other.size);
if (later.length > 0) console.log(`(code loaded later over part of it: ${later.map((other) => other.name).join(', ')}; those addresses are left out)`);
const dir = mkdtempSync(join(tmpdir(), 'jit-listing-'));
try {
  writeFileSync(join(dir, 'code.bin'), code.bytes);
  const run = Bun.spawnSync(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', `--adjust-vma=0x${code.address.toString(16)}`, join(dir, 'code.bin')]);
  if (run.exitCode !== 0) throw new Error(`objdump failed: ${run.stderr.toString()}`);
  console.log(`${code.name}: ${(costOf.get(code)! / count).toFixed(0)} instructions a request, ${code.size} bytes at 0x${code.address.toString(16)}`);
  for (const line of run.stdout.toString().split('\n')) {
    const match = /^\s*([0-9a-f]+):\t[^\t]*\t(.*)$/.exec(line);
    if (!match) continue;
    const address = BigInt(`0x${match[1]}`);
    const perRequest = owner(address) === code ? (costs.get(address) ?? 0) / count : 0;
    if (perRequest >= min) console.log(`${perRequest.toFixed(2).padStart(6)}  ${match[1]}  ${match[2]}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
