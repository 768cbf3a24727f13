// Only the work bun-apm cannot skip for a request neither sampled nor traced, written as one
// function: the floor's clock and `traceparent`, the method, the status, the route (from the URL,
// or the routes key), the rollup cell and its sketch, and both token buckets' answers. Built from
// bun-apm's own core classes (RouteNamer, HotRollups, RateSampler), so it differs from the defaults
// only in what the product adds around them: the state slot, the checks that keep nested, async,
// traced and observed requests right, and the calls between wrapper and recorder. It keeps no
// detail, traces nothing and ships nothing (nor do the defaults in bench:instructions with
// BUN_APM_SAMPLES_PER_SECOND=0 BUN_APM_TRACES_PER_SECOND=0). Opt-in: BENCH_NECESSARY=1 (bench/variants.ts).
import { methodKey } from '../../src/core/request-key.ts';
import { LIMITS } from '../../src/core/wire-format.ts';
import { patchServe, type Handler } from './patch-serve.ts';
import { rollups, routes, samples, traces, wallOffset } from './necessary-parts.ts';

let taken = 0;
// NECESSARY_WITHOUT=record+route leaves parts out, to see what each costs (bench/variants.ts,
// BENCH_NECESSARY_WITHOUT): `route` counts every request under '/', reading no URL; `record` keeps
// no cell or sketch; `buckets` asks neither token bucket.
const without = new Set((process.env.NECESSARY_WITHOUT ?? '').split('+'));
const ROUTE = !without.has('route');
const RECORD = !without.has('record');
const BUCKETS = !without.has('buckets');

function wrap(handler: Handler, template?: string): Handler {
  return function necessary(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    const traceparent = request.headers.get('traceparent');
    const method = methodKey(request.method);
    if (BUCKETS && traceparent === null && !traces.refuses(start) && traces.take(start)) taken++;
    let result: unknown;
    let thrown = false;
    try {
      result = handler.call(this, request, server);
    } catch (error) {
      thrown = true; // counted as a 500, then passed on, as the defaults do
      throw error;
    } finally {
      // The bench apps answer synchronously; a Promise is left uncounted here, where the defaults would wait for it.
      if (!(result instanceof Promise)) {
        const now = performance.now();
        const route = !ROUTE ? '/' : template !== undefined ? routes.ofTemplate(template) : routes.ofUrl(request.url);
        const status = result instanceof Response ? result.status : 500;
        const entry = RECORD ? rollups.record(wallOffset + start, method, route, status, now - start, 0, thrown) : undefined;
        // A token taken would make the defaults build a detail record; this keeps none (compare with the caps at 0).
        if (BUCKETS && !samples.refuses(now) && samples.take(now, entry)) taken++;
        if (rollups.size >= LIMITS.rollups) rollups.drain();
      }
    }
    return result;
  };
}

patchServe(wrap);

process.on('exit', () => {
  if (process.env.BENCH_NECESSARY_DEBUG) console.error(`necessary: ${rollups.size} cells held, ${taken} tokens taken`);
});
