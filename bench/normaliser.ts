// What naming a path costs when no template is known and the path was not seen before (a plain
// fetch handler serving ids: every new id is a new path), next to the same rules applied through
// split and join (every expression on every segment), measured in the same run, taking turns. The
// last two columns name the request's whole URL as the recorder does: RouteNamer.ofUrl (the path's
// bounds, then a new id of a route named lately matched in place, a path seen lately looked up),
// and the way it did before RouteShapes (slice the path with today's pathOf, look it up, normalise
// it, admit the new string).
//   bun bench/normaliser.ts
import { pathOf } from '../src/core/request-key.ts';
import { RouteNamer } from '../src/core/route-namer.ts';
import { normalisePath, RouteCardinalityGuard } from '../src/core/route-normaliser.ts';
import { clip, LIMITS } from '../src/core/wire-format.ts';
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

/** The recorder's naming before RouteShapes: every new path sliced, looked up among the last 256, normalised and admitted. */
function namingBefore(): (url: string) => string {
  const guard = new RouteCardinalityGuard(500);
  const named = new Map<string, string>();
  return (url) => {
    const path = pathOf(url);
    let route = named.get(path);
    if (route === undefined) {
      route = guard.admit(clip(normalisePath(path), LIMITS.routeLength) || '/');
      if (named.size >= 256) named.clear();
      named.set(path, route);
    }
    return route;
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ns per call of each function over its inputs, taking turns for ROUNDS rounds; medians in the same order. */
function inTurns(runs: Array<[(input: string) => string, string[]]>): number[] {
  const times = runs.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) runs.forEach(([name, inputs], i) => times[i]!.push(nsPerCall(name, inputs)));
  return times.map(median);
}

console.log(`naming a new path, ns per call (median of ${ROUNDS} interleaved rounds × ${CALLS.toLocaleString('en')} calls), bun ${Bun.version}`);
console.log('path shape                     by the rules   normalisePath   scan/rules   URL: ofUrl   before   ofUrl/before');
for (const [shape, make] of SHAPES) {
  const paths = Array.from({ length: 10_000 }, (_, i) => make(i));
  for (const path of paths.slice(0, 100)) {
    if (normalisePath(path) !== byRules(path)) throw new Error(`${path}: ${normalisePath(path)} ≠ ${byRules(path)}`);
  }
  const urls = paths.map((path) => `http://127.0.0.1:3000${path}`);
  const namer = new RouteNamer(500);
  const ofUrl = (url: string): string => namer.ofUrl(url);
  const before = namingBefore();
  for (let i = 0; i < 100; i++) {
    const expected = byRules(paths[i]!);
    if (ofUrl(urls[i]!) !== expected || before(urls[i]!) !== expected) throw new Error(`${urls[i]}: ${ofUrl(urls[i]!)} / ${before(urls[i]!)} ≠ ${expected}`);
  }
  const [r, s, n, b] = inTurns([
    [byRules, paths],
    [normalisePath, paths],
    [ofUrl, urls],
    [before, urls],
  ]) as [number, number, number, number];
  console.log(`${shape.padEnd(30)} ${r.toFixed(0).padStart(12)} ${s.toFixed(0).padStart(15)} ${(s / r).toFixed(2).padStart(12)} ${n.toFixed(0).padStart(12)} ${b.toFixed(0).padStart(8)} ${(n / b).toFixed(2).padStart(14)}`);
}

// Many id routes taken in turn (an API with a resource per route, each asked for a new id): the
// shapes the recorder keeps must not make this dearer than naming afresh, whatever their number.
const RESOURCES = ['users', 'orders', 'items', 'carts', 'files', 'posts', 'comments', 'teams', 'projects', 'invoices'];
console.log('\nid routes taken in turn          URL: ofUrl   before   ofUrl/before');
for (const routes of [1, 16, 100]) {
  const urls = Array.from({ length: 10_000 }, (_, i) => {
    const r = i % routes;
    return `http://127.0.0.1:3000/${RESOURCES[r % RESOURCES.length]}${r >= RESOURCES.length ? r : ''}/${100_000 + i}`;
  });
  const namer = new RouteNamer(500);
  const ofUrl = (url: string): string => namer.ofUrl(url);
  const before = namingBefore();
  for (const url of urls.slice(0, 300)) {
    if (ofUrl(url) !== before(url)) throw new Error(`${url}: ${ofUrl(url)} ≠ ${before(url)}`);
  }
  const [n, b] = inTurns([
    [ofUrl, urls],
    [before, urls],
  ]) as [number, number];
  console.log(`${String(routes).padEnd(32)} ${n.toFixed(0).padStart(12)} ${b.toFixed(0).padStart(8)} ${(n / b).toFixed(2).padStart(14)}`);
}
