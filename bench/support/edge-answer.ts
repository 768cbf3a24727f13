// What the benchmarks' sinks answer a batch: what an edge of this version answers about the wire,
// so that a client sends what it would send a current edge (the additions it names, e.g. carried
// memory and CPU figures, which make full detail's records a third shorter).
import { WIRE_ADDITIONS } from '../../src/core/wire-format.ts';

export function edgeAnswer(): Response {
  return Response.json({ accepted: true, accepts: WIRE_ADDITIONS }, { status: 202 });
}
