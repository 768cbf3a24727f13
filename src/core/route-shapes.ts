// The id-bearing routes named lately, matched against a URL where it lies.

import { ID_PLACEHOLDER, normaliseSegment } from './route-normaliser.ts';

/** Enough for the id routes a plain fetch handler interleaves; a miss tries each, most failing on a character. */
const SHAPES_MAX = 8;

/** A route with no more segments than normalisePath keeps whole (more, and it ends in its cut `/*`). */
const MAX_SLASHES = 16;

/**
 * Serving ids, a plain fetch handler sees a new path on every request, and naming it (slice,
 * normalise, look the new string up among the admitted routes) cost ≈ 0.5 µs. A new id of a route
 * seen lately needs none of that: its URL is compared with the route in place, segment by segment,
 * and the route admitted then is the answer. The match is exact — what normalisePath would name
 * the path — since a segment kept as it is matches only the same text, which normalises the same
 * way, and a `:id` segment only a segment that normalises to `:id`.
 */
export class RouteShapes {
  readonly #shapes: string[] = [];
  readonly #routes: string[] = [];
  #next = 0;

  /** The admitted route of the URL's path (`start` at its first `/`, `end` at its query, fragment or end), if a shape matches. */
  match(url: string, start: number, end: number): string | undefined {
    const shapes = this.#shapes;
    for (let i = 0; i < shapes.length; i++) {
      if (matches(url, start, end, shapes[i]!)) return this.#routes[i];
    }
    return undefined;
  }

  /** Remembers a path's shape (its normalised form) and the route admitted for it; only shapes with an id, since only they match new paths. */
  remember(shape: string, route: string): void {
    if (!shape.includes(ID_PLACEHOLDER) || countSlashes(shape) > MAX_SLASHES) return;
    if (this.#shapes.includes(shape)) return;
    this.#shapes[this.#next] = shape;
    this.#routes[this.#next] = route;
    this.#next = (this.#next + 1) % SHAPES_MAX;
  }
}

/** Whether normalisePath(url.slice(start, end)) would be `shape`, read in place. */
function matches(url: string, start: number, end: number, shape: string): boolean {
  let at = start + 1;
  let shapeAt = 1;
  for (;;) {
    let stop = url.indexOf('/', at);
    if (stop < 0 || stop > end) stop = end;
    let shapeStop = shape.indexOf('/', shapeAt);
    if (shapeStop < 0) shapeStop = shape.length;
    const length = shapeStop - shapeAt;
    if (length === 3 && shape.startsWith(ID_PLACEHOLDER, shapeAt)) {
      if (normaliseSegment(url, at, stop) !== ID_PLACEHOLDER) return false;
    } else if (stop - at !== length || !sameText(url, at, shape, shapeAt, length)) {
      return false;
    }
    const pathEnded = stop === end;
    const shapeEnded = shapeStop === shape.length;
    if (pathEnded || shapeEnded) return pathEnded && shapeEnded;
    at = stop + 1;
    shapeAt = shapeStop + 1;
  }
}

function sameText(a: string, aStart: number, b: string, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  }
  return true;
}

function countSlashes(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 47) count++;
  return count;
}
