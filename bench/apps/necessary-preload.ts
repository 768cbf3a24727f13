// Only the work bun-apm cannot skip for a request neither sampled nor traced, written as one
// function: the floor's clock and `traceparent`, the method, the status, the route (from the URL,
// or the routes key), the rollup cell and its sketch, and both token buckets' answers. Built from
// bun-apm's own core classes (RouteNamer, HotRollups, RateSampler), so it differs from the defaults
// only in what the product adds around them: the state slot, the checks that keep nested, async,
// traced and observed requests right, and the calls between wrapper and recorder. It keeps no
// detail, traces nothing and ships nothing. Opt-in: BENCH_NECESSARY=1 (bench/variants.ts).
import { HotRollups } from '../../src/core/hot-rollups.ts';
import { methodKey } from '../../src/core/request-key.ts';
import { RouteNamer } from '../../src/core/route-namer.ts';
import { RateSampler } from '../../src/core/sampler.ts';
import { PRELOAD } from '../../src/core/config/preload-settings.ts';
import { patchServe, type Handler } from './patch-serve.ts';

const perSecond = (setting: { env?: string; default?: number }): number => Number(process.env[setting.env!] || setting.default);
const routes = new RouteNamer(PRELOAD.routeCap.default!);
const rollups = new HotRollups();
const samples = new RateSampler(perSecond(PRELOAD.samplesPerSecond));
const traces = new RateSampler(perSecond(PRELOAD.tracesPerSecond));
const wallOffset = Date.now() - performance.now();
let taken = 0;

function wrap(handler: Handler, template?: string): Handler {
  return function necessary(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    const traceparent = request.headers.get('traceparent');
    const method = methodKey(request.method);
    if (traceparent === null && !traces.refuses(start) && traces.take(start)) taken++;
    const result = handler.call(this, request, server);
    const now = performance.now();
    const route = template !== undefined ? routes.ofTemplate(template) : routes.ofUrl(request.url);
    const entry = rollups.record(wallOffset + start, method, route, (result as Response).status, now - start, 0, false);
    if (!samples.refuses(now) && samples.take(now, entry)) taken++;
    return result;
  };
}

patchServe(wrap);
// The batcher's part that keeps the cells bounded: they leave every 10 seconds.
setInterval(() => rollups.drain(), 10_000).unref();

process.on('exit', () => {
  if (process.env.BENCH_NECESSARY_DEBUG) console.error(`necessary: ${rollups.size} cells held, ${taken} tokens taken`);
});
