// The benchmarks' stand-in for the edge: a local sink that takes each batch and answers what an
// edge of this version answers about the wire, so that a client sends what it would send a current
// edge (the additions it names, e.g. carried memory and CPU figures, which make full detail's
// records a third shorter).
import { WIRE_ADDITIONS } from '../../src/core/wire-format.ts';

export function edgeAnswer(): Response {
  return Response.json({ accepted: true, accepts: WIRE_ADDITIONS }, { status: 202 });
}

/** A sink on 127.0.0.1 that reads each request's body (handed to `onBody` when given) and answers as an edge. */
export function startSink(onBody?: (body: Uint8Array<ArrayBuffer>) => void): { endpoint: string; stop: () => void } {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      onBody?.(body);
      return edgeAnswer();
    },
  });
  return { endpoint: server.url.href.replace(/\/$/, ''), stop: () => server.stop(true) };
}
