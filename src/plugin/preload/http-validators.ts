// The conditional requests of RFC 9110 §13 as Bun evaluates them for a static route, found by
// sending the same requests to a plain Bun.serve: validators (ETag, Last-Modified) are compared as
// ETags or as times, never as the strings the client happened to send.

/** What a static route can be validated by: its ETag, its Last-Modified in ms (whole seconds). */
export interface Validators {
  etag: string | undefined;
  lastModified: number | undefined;
  /** A file route: `If-None-Match: *` matches it without an ETag (an in-memory body without one, empty, is never 304). */
  existsWithoutEtag: boolean;
}

/**
 * The status Bun answers a GET or HEAD of a static route with before any body: 412 on a failed
 * If-Match (else If-Unmodified-Since), 304 on a matching If-None-Match (else If-Modified-Since),
 * undefined to serve it. RFC 9110 §13.2.2's order: the 412 checks first, and each date check only
 * without its ETag counterpart.
 */
export function preconditionStatus(headers: Headers, validators: Validators): 412 | 304 | undefined {
  const { etag, lastModified } = validators;
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null && ifMatch !== '') {
    if (!strongMatch(ifMatch, etag)) return 412;
  } else if (lastModified !== undefined && lenientTime(headers.get('if-unmodified-since')) < lastModified) return 412;
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) {
    const matches = etag === undefined ? validators.existsWithoutEtag && ifNoneMatch.trim() === '*' : matchesEtag(ifNoneMatch, etag);
    if (matches) return 304;
  } else if (lastModified !== undefined && lenientTime(headers.get('if-modified-since')) >= lastModified) return 304;
  return undefined;
}

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`; `*` matches anything. */
export function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

/** If-Match uses strong comparison: a weak ETag matches nothing, nor does a listed `W/"x"`; `*` matches what exists. */
function strongMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true;
  if (etag === undefined || etag.startsWith('W/')) return false;
  return header.split(',').some((candidate) => candidate.trim() === etag);
}

/**
 * An If-Modified-Since or If-Unmodified-Since date as Bun reads one: any form Date.parse takes (the
 * three HTTP-date forms among them), to the second; NaN when it does not parse, so no comparison holds.
 */
function lenientTime(text: string | null): number {
  return text === null ? Number.NaN : wholeSeconds(Date.parse(text));
}

/**
 * Whether a Range is served under the request's If-Range (RFC 9110 §13.1.5): an ETag by strong
 * comparison with the route's; a date equal to its Last-Modified as Bun reads one, to the second —
 * a date Date.parse takes that ends in `GMT` (an IMF-fixdate or an RFC 850 date; asctime, which has
 * no zone, and other zones do not count). An absent or empty If-Range holds.
 */
export function ifRangeHolds(ifRange: string | null, etag: string | undefined, lastModified: number): boolean {
  if (ifRange === null || ifRange === '') return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return etag !== undefined && !etag.startsWith('W/') && ifRange === etag;
  return ifRange.endsWith('GMT') && wholeSeconds(Date.parse(ifRange)) === lastModified;
}

/** HTTP dates have whole seconds: times are compared at that precision. */
export function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
