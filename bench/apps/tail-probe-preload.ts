// Where a server's tail latency goes, measured inside it: preloaded first (before bun-apm, so its
// wrapper is the outermost), it times every handler call (bun-apm's wrapper and the app's handler
// together) and the gap between one call's return and the next call, and it times every timer
// callback started after it, by the line that started it. At a constant request rate a request
// is due every few µs, so a gap of a millisecond or more is the app's thread busy elsewhere: GC,
// a timer, Bun's own work. bench/tail.ts reads the summary it writes to stderr on SIGUSR2.
//   bun --preload ./bench/apps/tail-probe-preload.ts --preload bun-apm/preload bench/apps/hello.ts
import { patchServe, type Handler } from './patch-serve.ts';
export {}; // a module: its names stay its own


/** Thresholds in ms; counts[i] is how many took at least LIMITS[i]. */
const LIMITS = [0.25, 0.5, 1, 2, 4, 8, 16];

class Tally {
  n = 0;
  total = 0;
  max = 0;
  counts = LIMITS.map(() => 0);
  /** Time spent in calls of at least 1 ms. */
  longTotal = 0;
  add(ms: number): void {
    this.n++;
    this.total += ms;
    if (ms > this.max) this.max = ms;
    if (ms >= 1) this.longTotal += ms;
    for (let i = 0; i < LIMITS.length && ms >= LIMITS[i]!; i++) this.counts[i]!++;
  }
  toJSON() {
    return { n: this.n, totalMs: +this.total.toFixed(2), maxMs: +this.max.toFixed(3), longMs: +this.longTotal.toFixed(2), atLeast: Object.fromEntries(LIMITS.map((l, i) => [l, this.counts[i]])) };
  }
}

const handlers = new Tally();
const gaps = new Tally();
const timers = new Map<string, Tally>();
let lastEnd = 0;
let depth = 0;

function wrap(handler: Handler): Handler {
  return function probed(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    if (depth === 0 && lastEnd > 0) gaps.add(start - lastEnd);
    depth++;
    try {
      return handler.call(this, request, server);
    } finally {
      depth--;
      const end = performance.now();
      if (depth === 0) {
        handlers.add(end - start);
        lastEnd = end;
      }
    }
  };
}

patchServe(wrap);

/** `file:line` of the first frame outside this file: who started the timer. */
function origin(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const line = lines.find((l) => !l.includes('tail-probe-preload')) ?? '?';
  return line.trim().replace(/^at\s+/, '').replace(/^.*\((.*)\)$/, '$1').replace(/^.*\/(src|bench|node_modules)\//, '$1/');
}

function timed(callback: (...args: unknown[]) => unknown, label: string): (...args: unknown[]) => unknown {
  let tally = timers.get(label);
  if (tally === undefined) timers.set(label, (tally = new Tally()));
  const t = tally;
  return function probedTimer(this: unknown, ...args: unknown[]) {
    const start = performance.now();
    try {
      return callback.apply(this, args);
    } finally {
      t.add(performance.now() - start);
    }
  };
}

for (const name of ['setTimeout', 'setInterval'] as const) {
  const original = globalThis[name] as unknown as (callback: unknown, ...rest: unknown[]) => unknown;
  const replaced = function (this: unknown, callback: unknown, ...rest: unknown[]) {
    if (typeof callback !== 'function') return original.call(this, callback, ...rest);
    return original.call(this, timed(callback as (...args: unknown[]) => unknown, `${name} ${origin()}`), ...rest);
  };
  Object.assign(replaced, original);
  (globalThis as Record<string, unknown>)[name] = replaced;
}

process.on('SIGUSR2', () => {
  const { heapStats } = require('bun:jsc') as typeof import('bun:jsc');
  const heap = heapStats();
  const summary = {
    handlers,
    gaps,
    timers: Object.fromEntries([...timers].filter(([, t]) => t.n > 0)),
    heap: { heapSizeMiB: +(heap.heapSize / 2 ** 20).toFixed(1), heapCapacityMiB: +(heap.heapCapacity / 2 ** 20).toFixed(1), extraMiB: +(heap.extraMemorySize / 2 ** 20).toFixed(1), objects: heap.objectCount },
    rssMiB: +(process.memoryUsage.rss() / 2 ** 20).toFixed(1),
  };
  process.stderr.write(`TAIL-PROBE ${JSON.stringify(summary)}\n`);
});
