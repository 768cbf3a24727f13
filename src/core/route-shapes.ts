// The id-bearing routes named lately, matched against a URL where it lies.

import { ID_PLACEHOLDER, isIdSegment, MAX_SEGMENTS, OVERFLOW_ROUTE } from './route-normaliser.ts';

/**
 * Shapes are kept in buckets by a hash of their segments but their ids (keyOf), so that a
 * URL tries only the few that could match it, however many id routes an app interleaves: a single
 * list of 8 tried in turn cost 16 id routes taken in turn more than naming each afresh, and buckets
 * by the first segment alone put every route under `/api` into one.
 */
const BUCKETS = 128;

/** Shapes per bucket, the oldest dropped first (buckets are shared only by a hash's collisions). */
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
  /** An app with no id routes reads no key at all. */
  #empty = true;

  /** The admitted route of the URL's path (`start` at its first `/`, `end` at its query, fragment or end), if a shape matches. */
  match(url: string, start: number, end: number): string | undefined {
    if (this.#empty) return undefined;
    const key = keyOf(url, start, end);
    const shapes = key < 0 ? undefined : this.#buckets[key];
    if (shapes === undefined) return undefined;
    for (let i = 0; i < shapes.length; i++) {
      if (matches(url, start, end, shapes[i]!.text)) return shapes[i]!.route;
    }
    return undefined;
  }

  /**
   * Remembers a path's shape (its normalised form) and the route admitted for it: only a shape with
   * an id (only those match new paths), not one cut at MAX_SEGMENTS (a crawler's; matching it would
   * still be exact) and not one the guard turned away (all of those are the overflow route anyway).
   */
  remember(shape: string, route: string): void {
    if (route === OVERFLOW_ROUTE || !shape.includes(ID_PLACEHOLDER)) return;
    // A shape is read as a path whose ids are its `:id` segments: its key is the key of every URL it names.
    const key = keyOf(shape, 0, shape.length);
    if (key < 0) return;
    const shapes = (this.#buckets[key] ??= []);
    this.#empty = false;
    if (shapes.some((known) => known.text === shape)) return;
    if (shapes.length === PER_BUCKET) shapes.shift();
    shapes.push({ text: shape, route });
  }
}

/** Set by keyOf for the path it read last: bit k is set when its segment k is an id or the text `:id` (which normalisePath keeps as it is). */
let idSegments = 0;

/**
 * A path's bucket: a hash of its segments but with each id left out, only its end marked. A URL and
 * the shape it normalises to get the same key: their other segments are the same text, and every
 * id of the one is a `:id` of the other. Which segments are ids is kept in idSegments: read once
 * here, they are not read again for each shape tried. -1 past MAX_SEGMENTS: no shape is kept there.
 */
function keyOf(text: string, start: number, end: number): number {
  let hash = 0;
  let ids = 0;
  let segment = start + 1;
  for (let index = 0; ; index++) {
    if (index === MAX_SEGMENTS) return -1;
    let stop = text.indexOf('/', segment);
    if (stop < 0 || stop > end) stop = end;
    if (isIdSegment(text, segment, stop) || (stop - segment === 3 && text.startsWith(ID_PLACEHOLDER, segment))) ids |= 1 << index;
    else for (let i = segment; i < stop; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
    hash = Math.imul(hash ^ 47, FNV_PRIME); // the segment's end, so that places count
    if (stop === end) break;
    segment = stop + 1;
  }
  idSegments = ids;
  return (hash ^ (hash >>> 16)) & (BUCKETS - 1);
}

const FNV_PRIME = 0x01000193;

/** Whether normalisePath(url.slice(start, end)) would be `shape`, read in place; idSegments says which of the URL's segments are ids. */
function matches(url: string, start: number, end: number, shape: string): boolean {
  let at = start + 1;
  let shapeAt = 1;
  for (let index = 0; ; index++) {
    let stop = url.indexOf('/', at);
    if (stop < 0 || stop > end) stop = end;
    let shapeStop = shape.indexOf('/', shapeAt);
    if (shapeStop < 0) shapeStop = shape.length;
    const length = shapeStop - shapeAt;
    if (length === 3 && shape.startsWith(ID_PLACEHOLDER, shapeAt)) {
      if ((idSegments & (1 << index)) === 0) return false;
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
