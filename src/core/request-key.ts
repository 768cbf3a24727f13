// A request's path and method as rollup keys: read from the URL string with no parsing, and the
// method bounded to the standard ones, so that a client cannot make keys without limit. Both run on
// every request, in both hosts.
import { ownCopy } from './own-copy.ts';

/** The path of an absolute request URL, without query or fragment, with no URL parsing. */
export function pathOf(url: string): string {
  const start = pathStart(url);
  return start < 0 ? '/' : url.slice(start, pathEnd(url, start));
}

/**
 * The path of a URL, for a record kept long: a copy of its own when the URL holds much more (a long
 * query), as a slice would keep the whole URL alive (ownCopy).
 */
export function keptPathOf(url: string): string {
  const path = pathOf(url);
  return url.length - path.length > 256 ? ownCopy(path) : path;
}

/** Where the path of an absolute request URL begins (the first `/` after the host), or -1 when it has none (`http://h?q=/x`). */
export function pathStart(url: string): number {
  const scheme = url.indexOf('://');
  for (let i = scheme < 0 ? 0 : scheme + 3; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 47) return i;
    if (code === 63 || code === 35) return -1; // a query or fragment before any path
  }
  return -1;
}

/** Where the path that begins at `start` ends: at the query, the fragment or the end of the URL. */
export function pathEnd(url: string, start: number): number {
  let end = url.length;
  const query = url.indexOf('?', start);
  if (query >= 0) end = query;
  const hash = url.indexOf('#', start);
  if (hash >= 0 && hash < end) end = hash;
  return end;
}

/** The methods counted as themselves (methodKey); any other is `OTHER`. */
export const STANDARD_METHODS: readonly string[] = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];

/** Standard methods as they are; anything else (a client can send any token) as `OTHER`, so keys stay bounded. */
export function methodKey(method: string): string {
  // Comparisons rather than a Set: GET, checked first, is most requests, and this runs on every one.
  switch (method) {
    case 'GET':
    case 'POST':
    case 'HEAD':
    case 'PUT':
    case 'DELETE':
    case 'PATCH':
    case 'OPTIONS':
    case 'CONNECT':
    case 'TRACE':
      return method;
    default:
      return 'OTHER';
  }
}
