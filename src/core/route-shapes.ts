// The id-bearing routes named lately, matched against a URL where it lies.

import { ID_PLACEHOLDER, isIdSegment, MAX_SEGMENTS, OVERFLOW_ROUTE } from './route-normaliser.ts';

/**
 * Shapes are kept in buckets by their first segment (a hash of its characters), so that a
 * URL tries only the few that could match it, however many id routes an app interleaves (a single
 * list of 8 tried in turn cost 16 id routes taken in turn twice what naming them afresh does).
 */
const BUCKETS = 128;

/**
 * Shapes per bucket, the oldest dropped first; also how many shapes that begin with `:id` are
 * kept, which every URL tries (its first segment may be any id), each naming that segment by the
 * rules if it is not digits or a UUID.
 */
const PER_BUCKET = 4;

interface Shape {
  text: string;
  route: string;
}

/**
 * Serving ids, a plain fetch handler sees a new path on every request, and naming it meant slicing
 * it, normalising it and looking the new string up among the admitted routes (bench:normaliser's
 * `before`). A new id of a route seen lately needs none of that: its URL is compared with the route
 * in place, segment by segment, and the route admitted then is the answer; an id of digits or a
 * dashed UUID is read where it lies, other ids are sliced for their expressions. The match is
 * exact — what normalisePath would name the path — because normaliseSegment gives a segment its
 * own text or `:id`, from its text alone: a kept segment matches only the same text, and a `:id`
 * segment only a segment that normalises to `:id`.
 */
export class RouteShapes {
  readonly #buckets: Array<Shape[] | undefined> = new Array(BUCKETS).fill(undefined);
  readonly #idFirst: Shape[] = [];

  /** The admitted route of the URL's path (`start` at its first `/`, `end` at its query, fragment or end), if a shape matches. */
  match(url: string, start: number, end: number): string | undefined {
    let stop = url.indexOf('/', start + 1);
    if (stop < 0 || stop > end) stop = end;
    const bucket = this.#buckets[bucketOf(url, start + 1, stop)];
    return (bucket !== undefined ? matchIn(bucket, url, start, end) : undefined) ?? matchIn(this.#idFirst, url, start, end);
  }

  /**
   * Remembers a path's shape (its normalised form) and the route admitted for it: only a shape with
   * an id (only those match new paths), not one cut at MAX_SEGMENTS (a crawler's; matching it would
   * still be exact) and not one the guard turned away (all of those are the overflow route anyway).
   */
  remember(shape: string, route: string): void {
    if (route === OVERFLOW_ROUTE || !shape.includes(ID_PLACEHOLDER) || countSlashes(shape) > MAX_SEGMENTS) return;
    let stop = shape.indexOf('/', 1);
    if (stop < 0) stop = shape.length;
    const idFirst = stop === 4 && shape.startsWith(ID_PLACEHOLDER, 1);
    const shapes = idFirst ? this.#idFirst : (this.#buckets[bucketOf(shape, 1, stop)] ??= []);
    if (shapes.some((known) => known.text === shape)) return;
    if (shapes.length === PER_BUCKET) shapes.shift();
    shapes.push({ text: shape, route });
  }
}

function matchIn(shapes: Shape[], url: string, start: number, end: number): string | undefined {
  for (let i = 0; i < shapes.length; i++) {
    if (matches(url, start, end, shapes[i]!.text)) return shapes[i]!.route;
  }
  return undefined;
}

/** The bucket of a first segment, hashed from its characters: a function of its text alone, so a URL and the shapes it can match share it. */
function bucketOf(text: string, start: number, stop: number): number {
  let hash = 0;
  for (let i = start; i < stop; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193); // FNV-1a's prime
  return (hash ^ (hash >>> 16)) & (BUCKETS - 1);
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
      // An id, or the text `:id` itself, which normalisePath keeps as it is.
      if (!isIdSegment(url, at, stop) && !(stop - at === 3 && url.startsWith(ID_PLACEHOLDER, at))) return false;
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
