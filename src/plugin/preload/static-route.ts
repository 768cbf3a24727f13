// A Bun.serve static route (`'/health': new Response('OK')`) turned into a handler so that it can be
// counted, keeping what Bun does for static routes. Each request gets a clone of the app's own
// Response, so that Bun sends it as it would have (its content type, a file read from disk as it is
// now, ranges). Bun adds, and so does this: for a body held in memory a strong ETag (xxHash64 of the
// body, as Bun computes it) and 304 on a matching If-None-Match; for a file, Last-Modified and 304 on
// If-Modified-Since. A file's body is never read here: it may be large, and it may change.
import { stateOf } from '../runtime/request-state.ts';

/**
 * @example
 * routes['/health'] = staticRouteHandler(new Response('OK'));
 */
export function staticRouteHandler(response: Response, fallback: Fallback = notFound): (request: Request, server: unknown) => unknown {
  let etag: string | undefined = response.headers.get('etag') ?? undefined;
  // The body's type, for a HEAD and a 304 (withHeadType).
  let contentType: string | undefined = response.headers.get('content-type') ?? undefined;
  let length: number | undefined;
  let filePath: string | undefined;
  // Looked at once, off the request path; until then (a microtask or two) responses go without an ETag.
  response
    .clone()
    .blob()
    .then(async (blob) => {
      contentType ??= blob.type || undefined;
      const name: unknown = (blob as { name?: unknown }).name; // a BunFile's path: a file, not read
      if (typeof name === 'string') {
        filePath = name;
        return;
      }
      const body = await blob.bytes();
      length = body.byteLength;
      if (etag === undefined && body.byteLength > 0) etag = `"${Bun.hash.xxHash64(body).toString(16).padStart(16, '0')}"`;
    })
    .catch(() => {});
  return function staticRoute(request: Request, server: unknown): unknown {
    // The fallback is called as Bun calls a fetch: with the server as `this` too.
    if (filePath !== undefined) return fileResponse(request, response, filePath, contentType) ?? fallback.call(server, request, server);
    if (etag !== undefined && conditional(request, response)) {
      const ifNoneMatch = request.headers.get('if-none-match');
      if (ifNoneMatch !== null && matchesEtag(ifNoneMatch, etag)) return notModified(response, contentType, { etag });
    }
    const state = stateOf(request);
    if (state !== undefined && length !== undefined) state.bytes = length;
    const served = response.clone();
    if (etag !== undefined) served.headers.set('etag', etag);
    return withHeadType(request, served, contentType);
  };
}

let fs: typeof import('node:fs') | undefined;

/** node:fs, required on a file route's first request (the preload keeps it out of the app's heap until then), then kept. */
function fileSystem(): typeof import('node:fs') {
  return (fs ??= require('node:fs') as typeof import('node:fs'));
}

/** What answers a file route whose file is missing: the server's fetch, as Bun passes it on; without one, Bun's empty 404. */
export type Fallback = (this: unknown, request: Request, server: unknown) => unknown;

const notFound: Fallback = () => new Response(null, { status: 404 });

/**
 * A file route's answer, as Bun answers a file route itself: the file as it is now, with its
 * Last-Modified (the app's, when its Response has one); 412 on a failed If-Match or
 * If-Unmodified-Since; 304 when the client has it; a Range as Bun serves it. Undefined when the file
 * is missing, for the fallback (sent, the Response had failed: a 500 and a dev page).
 *
 * A GET's range Bun applies to the 200 returned here, as to any handler's file (206, 416, If-Range
 * against the Last-Modified): this only works out which status that sends, for the count. A HEAD's
 * Bun leaves whole, so its 206 or 416 is answered here, with the headers Bun would send.
 */
function fileResponse(request: Request, response: Response, path: string, contentType: string | undefined): Response | undefined {
  const file = fileSystem().statSync(path, { throwIfNoEntry: false });
  if (file === undefined || !file.isFile()) return undefined;
  const own = response.headers.get('last-modified');
  const modified = own ?? new Date(file.mtimeMs).toUTCString();
  // HTTP dates have whole seconds; the file's time is compared at that precision. An app's date that
  // does not parse Bun passes over, for the file's.
  const ownDate = own === null ? Number.NaN : Date.parse(own);
  const lastModified = Number.isFinite(ownDate) ? ownDate : Math.floor(file.mtimeMs / 1000) * 1000;
  const state = stateOf(request);
  if (conditional(request, response)) {
    const headers = request.headers;
    // A file has no ETag here: only `*` matches, for If-Match and If-None-Match alike.
    const ifMatch = headers.get('if-match');
    if ((ifMatch !== null && ifMatch !== '' && ifMatch !== '*') || Date.parse(headers.get('if-unmodified-since') ?? '') < lastModified) return precondition(request, response, contentType, 412, modified);
    const ifNoneMatch = headers.get('if-none-match');
    // If-Modified-Since counts only without If-None-Match (RFC 9110).
    const since = ifNoneMatch === null ? Date.parse(headers.get('if-modified-since') ?? '') : Number.NaN;
    if (ifNoneMatch === '*' || since >= lastModified) return notModified(response, contentType, { 'last-modified': modified });
    const range = rangeOf(headers, modified, file.size);
    if (range !== undefined) {
      if (request.method === 'HEAD') return headRange(response, contentType, modified, range, file.size);
      if (state !== undefined) state.bytes = range === UNSATISFIABLE ? 0 : range[1] - range[0] + 1;
      return counted(served(request, response, modified, contentType), range === UNSATISFIABLE ? 416 : 206);
    }
  }
  if (state !== undefined) state.bytes = file.size;
  return served(request, response, modified, contentType);
}

/** The app's Response as Bun serves the file route: its clone, with the file's Last-Modified. */
function served(request: Request, response: Response, modified: string, contentType: string | undefined): Response {
  const clone = response.clone();
  clone.headers.set('last-modified', modified);
  // Bun dates a file's HEAD when it serves the route itself, not when a handler returns it.
  if (request.method === 'HEAD' && !clone.headers.has('date')) clone.headers.set('date', new Date().toUTCString());
  return withHeadType(request, clone, contentType);
}

const UNSATISFIABLE = 'unsatisfiable';
type Range = readonly [start: number, end: number] | typeof UNSATISFIABLE;

/**
 * The range Bun serves of a file of `size` bytes for the request's Range (its own rule: one
 * `bytes=` range, else the whole file), when If-Range, if sent, is the file's Last-Modified;
 * undefined for the whole file.
 */
function rangeOf(headers: Headers, modified: string, size: number): Range | undefined {
  const header = headers.get('range');
  if (header === null) return undefined;
  const ifRange = headers.get('if-range');
  if (ifRange !== null && ifRange !== '' && ifRange !== modified) return undefined;
  const spec = /^bytes[ \t]*=(.*)$/i.exec(header)?.[1];
  if (spec === undefined || spec.includes(',')) return undefined;
  const dash = spec.indexOf('-');
  if (dash < 0) return undefined;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === '') {
    const suffix = whole(last);
    if (suffix === undefined) return undefined;
    if (suffix === 0) return UNSATISFIABLE;
    return size === 0 ? undefined : [Math.max(0, size - suffix), size - 1];
  }
  const start = whole(first);
  const end = last === '' ? size - 1 : whole(last);
  if (start === undefined || end === undefined) return undefined;
  if (start >= size) return UNSATISFIABLE;
  if (end < start) return undefined;
  return [start, Math.min(end, size - 1)];
}

/** A decimal byte position as Bun reads one (an unsigned 64-bit integer), else undefined. */
function whole(text: string): number | undefined {
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > 0xffffffffffffffffn ? undefined : Number(value);
}

/**
 * The Response Bun sends as `status`: a GET's file of which Bun serves the range itself. The app
 * never sees it; the recorder reads its status to count the request as it was answered.
 */
function counted(response: Response, status: number): Response {
  Object.defineProperty(response, 'status', { value: status });
  return response;
}

/** A HEAD's answer to a Range, as Bun sends a file route's: 206 with the part's length, or 416. */
function headRange(response: Response, contentType: string | undefined, modified: string, range: Range, size: number): Response {
  const headers = new Headers(response.headers);
  if (contentType !== undefined && !headers.has('content-type')) headers.set('content-type', contentType);
  headers.set('last-modified', modified);
  headers.set('accept-ranges', 'bytes');
  if (!headers.has('date')) headers.set('date', new Date().toUTCString());
  if (range === UNSATISFIABLE) {
    headers.set('content-range', `bytes */${size}`);
    headers.set('content-length', '0');
    return new Response(null, { status: 416, headers });
  }
  headers.set('content-range', `bytes ${range[0]}-${range[1]}/${size}`);
  headers.set('content-length', String(range[1] - range[0] + 1));
  return new Response(null, { status: 206, headers });
}

/** Bun's empty answer to a failed precondition: the route's headers, no body. */
function precondition(request: Request, response: Response, contentType: string | undefined, status: number, modified: string): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  if (contentType !== undefined && !headers.has('content-type')) headers.set('content-type', contentType);
  headers.set('last-modified', modified);
  if (request.method === 'HEAD' && !headers.has('date')) headers.set('date', new Date().toUTCString());
  return new Response(null, { status, headers });
}

/** Only a GET or HEAD of a 200 may be answered 304 (a POST gets the body, as from Bun). */
function conditional(request: Request, response: Response): boolean {
  return response.status === 200 && (request.method === 'GET' || request.method === 'HEAD');
}

/**
 * A HEAD answer from a handler loses the type Bun gives a body implicitly (a string's text/plain):
 * it is set on HEAD only. A GET is sent as Bun sends the app's body, with the type Bun infers.
 */
function withHeadType(request: Request, served: Response, contentType: string | undefined): Response {
  if (request.method === 'HEAD' && contentType !== undefined && !served.headers.has('content-type')) served.headers.set('content-type', contentType);
  return served;
}

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`; `*` matches anything. */
export function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

function notModified(response: Response, contentType: string | undefined, set: Record<string, string>): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  if (contentType !== undefined && !headers.has('content-type')) headers.set('content-type', contentType);
  for (const [name, value] of Object.entries(set)) headers.set(name, value);
  return new Response(null, { status: 304, headers });
}
