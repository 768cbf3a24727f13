// What naming a path costs when no template is known and the path was not seen before (a plain
// fetch handler serving ids: every new id is a new path), next to the same rules applied through
// split and join (every expression on every segment), measured in the same run, taking turns.
//   bun bench/normaliser.ts
import { normalisePath } from '../src/core/route-normaliser.ts';
import { normaliseBySplit as byRules } from '../test/support/normalise-by-split.ts';

const ROUNDS = 7;
const CALLS = 200_000;

const SHAPES: Array<[string, (i: number) => string]> = [
  ['/users/{n}', (i) => `/users/${100_000 + i}`],
  ['/api/v1/orders/{n}/items', (i) => `/api/v1/orders/${i}/items`],
  ['/search?q=…', (i) => `/search?q=${i}`],
  ['/files/{uuid}', () => `/files/${crypto.randomUUID()}`],
];

function nsPerCall(name: (raw: string) => string, paths: string[]): number {
  let sink = 0;
  const start = Bun.nanoseconds();
  for (let i = 0; i < CALLS; i++) sink += name(paths[i % paths.length]!).length;
  const elapsed = Bun.nanoseconds() - start;
  if (sink === 0) throw new Error('nothing named');
  return elapsed / CALLS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`naming a new path, ns per call (median of ${ROUNDS} interleaved rounds × ${CALLS.toLocaleString('en')} calls), bun ${Bun.version}`);
console.log('path shape                     by the rules   normalisePath   scan/rules');
for (const [shape, make] of SHAPES) {
  const paths = Array.from({ length: 10_000 }, (_, i) => make(i));
  for (const path of paths.slice(0, 100)) {
    if (normalisePath(path) !== byRules(path)) throw new Error(`${path}: ${normalisePath(path)} ≠ ${byRules(path)}`);
  }
  const rules: number[] = [];
  const scan: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rules.push(nsPerCall(byRules, paths));
    scan.push(nsPerCall(normalisePath, paths));
  }
  const [r, s] = [median(rules), median(scan)];
  console.log(`${shape.padEnd(30)} ${r.toFixed(0).padStart(12)} ${s.toFixed(0).padStart(15)} ${(s / r).toFixed(2).padStart(12)}`);
}
