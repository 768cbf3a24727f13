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
    if (!matchesEtag(ifMatch, etag, false)) return 412;
  } else if (lastModified !== undefined && lenientTime(headers.get('if-unmodified-since')) < lastModified) return 412;
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null && ifNoneMatch !== '') {
    const matches = etag === undefined ? validators.existsWithoutEtag && trimmed(ifNoneMatch) === '*' : matchesEtag(ifNoneMatch, etag, true);
    if (matches) return 304;
  } else if (lastModified !== undefined && lenientTime(headers.get('if-modified-since')) >= lastModified) return 304;
  return undefined;
}

/**
 * Whether an If-None-Match (`weak`) or If-Match lists the route's ETag, by Bun's rule: a whole `*`
 * matches; else each tag of the list, trimmed, is compared without its quotes, case-sensitively,
 * so `abc` matches `"abc"`. If-Match fails on a weak ETag, the route's or a listed one; If-None-Match
 * drops a `W/` (then spaces) from either.
 */
function matchesEtag(header: string, etag: string | undefined, weak: boolean): boolean {
  if (trimmed(header) === '*') return true;
  if (etag === undefined || (!weak && etag.startsWith('W/'))) return false;
  const own = unquoted(etag.replace(/^W\/[ \t]*/, ''));
  return listedTags(header).some((item) => {
    const tag = trimmed(item);
    if (!tag.startsWith('W/')) return unquoted(tag) === own;
    return weak && unquoted(trimmed(tag.slice(2))) === own;
  });
}

/**
 * A list header's items as Bun splits them: at commas outside quotes, each `"` opening or closing a
 * quoted part (so `"a,b"` is one tag, `"x, "a` one item, an unclosed quote runs to the end).
 */
function listedTags(header: string): string[] {
  const items: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    if (header[i] === '"') quoted = !quoted;
    else if (header[i] === ',' && !quoted) {
      items.push(header.slice(start, i));
      start = i + 1;
    }
  }
  items.push(header.slice(start));
  return items;
}

/** Without the spaces and tabs at either end (only those: Bun keeps a no-break space). */
function trimmed(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/** An entity tag's opaque part: without its quotes when it has both. */
function unquoted(tag: string): string {
  return /^"(.*)"$/.exec(tag)?.[1] ?? tag;
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
