// The necessary work (bench/apps/necessary-preload.ts) with its recording deferred: each request
// leaves its clock, duration, status, method and URL (or routes key) in a preallocated ring, and
// the ring is named and counted 1,024 at a time, in one loop. Same instructions, fewer of them
// between the app's own: the question was whether the request path's cost beyond its instructions
// is the cache and branch state its work disturbs. It measured no faster than the necessary wrapper
// (bench/HISTORY.md, "Counted in a loop, and the CPU at a fixed rate").
// Opt-in: BENCH_DEFERRED=1 (bench/variants.ts).
import { methodKey } from '../../src/core/request-key.ts';
import { LIMITS } from '../../src/core/wire-format.ts';
import { patchServe, type Handler } from './patch-serve.ts';
import { rollups, routes, samples, traces, wallOffset } from './necessary-parts.ts';

let taken = 0;

const RING = Number(process.env.DEFERRED_RING ?? 1024);
const starts = new Float64Array(RING);
const durations = new Float64Array(RING);
const statuses = new Uint16Array(RING);
const methods: string[] = new Array<string>(RING).fill('');
const keys: string[] = new Array<string>(RING).fill('');
const templated = new Uint8Array(RING);
let held = 0;
// DEFERRED_NATIVE=0 reads none of the Request's or Response's native getters (method, url, status):
// constants stand in for them, to tell their cost from the JavaScript's.
const NATIVE = process.env.DEFERRED_NATIVE !== '0';

function flush(): void {
  for (let i = 0; i < held; i++) {
    const route = templated[i] === 1 ? routes.ofTemplate(keys[i]!) : routes.ofUrl(keys[i]!);
    rollups.record(wallOffset + starts[i]!, methodKey(methods[i]!), route, statuses[i]!, durations[i]!, 0, false);
  }
  held = 0;
  if (rollups.size >= LIMITS.rollups) rollups.drain();
}

function wrap(handler: Handler, template?: string): Handler {
  return function deferred(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    const traceparent = request.headers.get('traceparent');
    if (traceparent === null && !traces.refuses(start) && traces.take(start)) taken++;
    const result = handler.call(this, request, server);
    // The bench apps answer synchronously with a Response; anything else is left uncounted here.
    if (result instanceof Response) {
      const now = performance.now();
      const i = held;
      starts[i] = start;
      durations[i] = now - start;
      statuses[i] = NATIVE ? result.status : 200;
      methods[i] = NATIVE ? request.method : 'GET';
      if (template !== undefined) {
        keys[i] = template;
        templated[i] = 1;
      } else {
        keys[i] = NATIVE ? request.url : 'http://127.0.0.1/search?q=bun&page=2';
        templated[i] = 0;
      }
      held = i + 1;
      // A token would make the defaults build a detail record now, with the route's entry: count the ring first.
      if (!samples.refuses(now)) {
        flush();
        if (samples.take(now)) taken++;
      } else if (held === RING) flush();
    }
    return result;
  };
}

patchServe(wrap);

if (process.env.BENCH_DEFERRED_DEBUG) process.on('SIGTERM', () => process.exit(0));
process.on('exit', () => {
  flush();
  if (process.env.BENCH_DEFERRED_DEBUG) console.error(`deferred: ${rollups.size} cells held, ${taken} tokens taken`);
});
