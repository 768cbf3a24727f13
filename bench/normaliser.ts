// What naming a path costs when no template is known and the path was not seen before (a plain
// fetch handler serving ids: every new id is a new path), next to the same rules applied through
// split and join (every expression on every segment), measured in the same run, taking turns. The
// last column is the recorder's whole naming of the request's URL (RouteNamer.ofUrl: the path's
// bounds, then a new id of a route named lately matched in place, a path seen lately looked up).
//   bun bench/normaliser.ts
import { RouteNamer } from '../src/core/route-namer.ts';
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
console.log('path shape                     by the rules   normalisePath   scan/rules   RouteNamer.ofUrl');
for (const [shape, make] of SHAPES) {
  const paths = Array.from({ length: 10_000 }, (_, i) => make(i));
  for (const path of paths.slice(0, 100)) {
    if (normalisePath(path) !== byRules(path)) throw new Error(`${path}: ${normalisePath(path)} ≠ ${byRules(path)}`);
  }
  const urls = paths.map((path) => `http://127.0.0.1:3000${path}`);
  const namer = new RouteNamer(500);
  const ofUrl = (url: string): string => namer.ofUrl(url);
  if (ofUrl(urls[0]!) !== byRules(paths[0]!)) throw new Error(`${urls[0]}: ${ofUrl(urls[0]!)} ≠ ${byRules(paths[0]!)}`);
  const rules: number[] = [];
  const scan: number[] = [];
  const named: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rules.push(nsPerCall(byRules, paths));
    scan.push(nsPerCall(normalisePath, paths));
    named.push(nsPerCall(ofUrl, urls));
  }
  const [r, s, n] = [median(rules), median(scan), median(named)];
  console.log(`${shape.padEnd(30)} ${r.toFixed(0).padStart(12)} ${s.toFixed(0).padStart(15)} ${(s / r).toFixed(2).padStart(12)} ${n.toFixed(0).padStart(18)}`);
}
