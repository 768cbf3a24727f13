// The least any monitor must do per request to honour an incoming `traceparent`, preloaded like
// bun-apm so bench/overhead.ts can print it as a floor in the same run: time the handler into a
// ring buffer and read the one header (node:http servers' too). No sampling, no rollups, no shipping.
//   bun --preload ./bench/apps/floor-preload.ts bench/apps/hello.ts
import { patchServe, type Handler } from './patch-serve.ts';

const durations = new Float64Array(4096);
let next = 0;
let continued = 0;

function wrap(handler: Handler): Handler {
  return function timed(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    // Bun builds the whole Headers object on the first access: this line is most of the floor.
    if (request.headers.get('traceparent') !== null) continued++;
    const result = handler.call(this, request, server);
    durations[next++ & 4095] = performance.now() - start;
    return result;
  };
}

patchServe(wrap);

// node:http servers (Express): Bun hands their requests to emit('request'), and a request ends when
// its response has been sent, so the floor there is a listener on 'finish' besides the header.
const proto = (require('node:http') as typeof import('node:http')).Server.prototype as unknown as { emit: (...args: unknown[]) => boolean };
const emit = proto.emit;
proto.emit = function timedEmit(this: unknown, ...args: unknown[]): boolean {
  if (args[0] !== 'request') return emit.apply(this, args);
  const [, req, res] = args as [string, { headers: Record<string, unknown> }, { once(event: string, listener: () => void): unknown }];
  const start = performance.now();
  if (req.headers.traceparent !== undefined) continued++;
  res.once('finish', () => {
    durations[next++ & 4095] = performance.now() - start;
  });
  return emit.apply(this, args);
};

process.on('exit', () => {
  if (process.env.BENCH_FLOOR_DEBUG) console.error(`floor: ${next} requests timed, ${continued} with a traceparent`);
});
