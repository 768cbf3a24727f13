// The cost of each native step a monitor might take per request, one at a time, on top of the
// floor's timing wrapper: bench/instructions.ts runs it with STEPS=tp, tp+url, tp+method, … (see
// BENCH_STEPS in bench/variants.ts). Steps: tp (read traceparent: builds Bun's Headers), method,
// url, ua (a second header), prop (a symbol property on the Request), weak (a WeakMap entry for
// it), obj (a small state object).
import { patchServe, type Handler } from './patch-serve.ts';
export {}; // a module: its names stay its own


const steps = new Set((process.env.STEPS ?? '').split('+'));
const durations = new Float64Array(4096);
const MARK = Symbol.for('bench.mark');
const states = new WeakMap<Request, object>();
let next = 0;
let sink = 0;

function wrap(handler: Handler): Handler {
  const [tp, method, url, ua, prop, weak, obj] = ['tp', 'method', 'url', 'ua', 'prop', 'weak', 'obj'].map((s) => steps.has(s));
  return function stepped(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    if (tp && request.headers.get('traceparent') !== null) sink++;
    if (method) sink += request.method.length;
    if (prop) (request as unknown as Record<symbol, number>)[MARK] = start;
    if (weak) states.set(request, durations);
    const state = obj ? { start, request, route: undefined, error: undefined, bytes: 0, sampled: false } : undefined;
    const result = handler.call(this, request, server);
    if (url) sink += request.url.length;
    if (ua) sink += (request.headers.get('user-agent') ?? '').length;
    durations[next++ & 4095] = performance.now() - (state ? state.start : start);
    return result;
  };
}

patchServe(wrap);

process.on('exit', () => {
  if (process.env.BENCH_STEPS_DEBUG) console.error(`steps ${[...steps].join('+')}: ${next} requests, ${sink}`);
});
