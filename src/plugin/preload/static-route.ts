// A Bun.serve static route (`'/health': new Response('OK')`) turned into a handler so that it can be
// counted, keeping what Bun does for static routes. Each request gets a clone of the app's own
// Response, so that Bun sends it as it would have (its content type, a file read from disk as it is
// now, ranges). Bun adds, and so does this: for a body held in memory a strong ETag (xxHash64 of the
// body, as Bun computes it); for a file, Last-Modified; and for both the preconditions of RFC 9110
// (412 on If-Match / If-Unmodified-Since, 304 on If-None-Match / If-Modified-Since), evaluated
// against the route's ETag and Last-Modified (http-validators.ts). A file's body is never read here:
// it may be large, and it may change.
import { stateOf } from '../runtime/request-state.ts';
import { ifRangeHolds, preconditionStatus, type Validators, wholeSeconds } from './http-validators.ts';

/**
 * @example
 * routes['/health'] = staticRouteHandler(new Response('OK'));
 */
export function staticRouteHandler(response: Response, fallback: Fallback = notFound): (request: Request, server: unknown) => unknown {
  let etag: string | undefined = response.headers.get('etag') ?? undefined;
  // The body's type, for a HEAD and a 304 (withType); and for a GET when a clone of the body
  // loses it (getType: a string that is not ASCII, which Bun's clone sends as octet-stream).
  let contentType: string | undefined = response.headers.get('content-type') ?? undefined;
  let getType: string | undefined;
  let length: number | undefined;
  let filePath: string | undefined;
  // Looked at once, off the request path; until then (a microtask or two) responses go without an ETag.
  response
    .clone()
    .blob()
    .then(async (blob) => {
      const name: unknown = (blob as { name?: unknown }).name; // a BunFile's path: a file, not read
      if (typeof name === 'string') {
        contentType ??= blob.type || undefined;
        filePath = name;
        return;
      }
      const body = await blob.bytes();
      if (contentType === undefined) {
        const text = bodyText(blob, body);
        contentType = text === undefined ? undefined : blob.type;
        if (text !== undefined && /[^\u0000-\u007f]/.test(text)) getType = blob.type;
      }
      length = body.byteLength;
      if (etag === undefined && body.byteLength > 0) etag = `"${Bun.hash.xxHash64(body).toString(16).padStart(16, '0')}"`;
    })
    .catch(() => {});
  // An in-memory body's Last-Modified is the app's header, if it has one (Bun makes none up).
  const ownDate = Date.parse(response.headers.get('last-modified') ?? '');
  const lastModified = Number.isFinite(ownDate) ? wholeSeconds(ownDate) : undefined;
  return function staticRoute(request: Request, server: unknown): unknown {
    // The fallback is called as Bun calls a fetch: with the server as `this` too.
    if (filePath !== undefined) return fileResponse(request, response, filePath, contentType) ?? fallback.call(server, request, server);
    return memoryResponse(request, response, { etag, lastModified, existsWithoutEtag: false }, { contentType, getType }, length);
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An in-memory body with no Content-Type as the string it was given as, else undefined: Bun sends a
 * string's text/plain, none for bytes, and a Blob calls both `text/plain`. A string is always valid
 * UTF-8, so a body that is not was given as bytes (a review: an image's HEAD and 304 had claimed
 * text). Bytes that happen to be valid UTF-8 are taken for a string.
 */
function bodyText(blob: Blob, body: Uint8Array): string | undefined {
  if (!blob.type) return undefined;
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * An in-memory route's answer: 412 or 304 as Bun's preconditions decide (a Range Bun ignores for a
 * body held in memory), else the app's Response with its ETag. `types`: the body's type, for what
 * has no body, and the one a GET's clone needs set (staticRouteHandler).
 */
function memoryResponse(request: Request, response: Response, validators: Validators, types: { contentType: string | undefined; getType: string | undefined }, length: number | undefined): Response {
  const etag = validators.etag;
  const status = conditional(request, response) ? preconditionStatus(request.headers, validators) : undefined;
  if (status !== undefined) return bodiless(response, types.contentType, status, etag === undefined ? {} : { etag });
  const state = stateOf(request);
  // A HEAD's answer has no body, whatever its Content-Length says.
  if (state !== undefined && length !== undefined && request.method !== 'HEAD') state.bytes = length;
  const served = response.clone();
  if (etag !== undefined) served.headers.set('etag', etag);
  return withType(served, request.method === 'HEAD' ? types.contentType : types.getType);
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
 * against the ETag or the Last-Modified): this only works out which status that sends, for the
 * count. A HEAD Bun leaves whole, at the length it read at startup, so its 200, 206 or 416 is
 * answered here, with the headers Bun would send.
 */
function fileResponse(request: Request, response: Response, path: string, contentType: string | undefined): Response | undefined {
  const file = fileSystem().statSync(path, { throwIfNoEntry: false });
  if (file === undefined || !file.isFile()) return undefined;
  const own = response.headers.get('last-modified');
  const modified = own ?? new Date(file.mtimeMs).toUTCString();
  // An app's date that does not parse Bun passes over, for the file's.
  const ownDate = own === null ? Number.NaN : Date.parse(own);
  const lastModified = wholeSeconds(Number.isFinite(ownDate) ? ownDate : file.mtimeMs);
  const state = stateOf(request);
  if (conditional(request, response)) {
    // A file route's ETag is the app's header, if it has one: Bun makes none up for a file.
    const etag = response.headers.get('etag') ?? undefined;
    const status = preconditionStatus(request.headers, { etag, lastModified, existsWithoutEtag: true });
    if (status !== undefined) {
      const headers = { 'last-modified': modified };
      // Bun dates a file's HEAD when it serves the route itself, not when a handler returns it.
      return bodiless(response, contentType, status, request.method === 'HEAD' && status === 412 ? { ...headers, date: new Date().toUTCString() } : headers);
    }
    const range = rangeOf(request.headers, etag, lastModified, file.size);
    if (range !== undefined) {
      if (request.method === 'HEAD') return headRange(response, contentType, modified, range, file.size);
      if (state !== undefined) state.bytes = range === UNSATISFIABLE ? 0 : range[1] - range[0] + 1;
      return counted(served(request, response, modified, contentType, file.size), range === UNSATISFIABLE ? 416 : 206);
    }
  }
  if (state !== undefined && request.method !== 'HEAD') state.bytes = file.size;
  return served(request, response, modified, contentType, file.size);
}

/**
 * The app's Response as Bun serves the file route: its clone, with the file's Last-Modified. A HEAD
 * gets no body but the file's size now: the clone's length would be the one Bun read at startup.
 */
function served(request: Request, response: Response, modified: string, contentType: string | undefined, size: number): Response {
  if (request.method === 'HEAD') {
    const headers = new Headers(response.headers);
    if (contentType !== undefined && !headers.has('content-type')) headers.set('content-type', contentType);
    headers.set('last-modified', modified);
    headers.set('content-length', String(size));
    // Bun dates a file's HEAD when it serves the route itself, not when a handler returns it.
    if (!headers.has('date')) headers.set('date', new Date().toUTCString());
    return new Response(null, { status: response.status, statusText: response.statusText, headers });
  }
  const clone = response.clone();
  clone.headers.set('last-modified', modified);
  return clone;
}

const UNSATISFIABLE = 'unsatisfiable';
type Range = readonly [start: number, end: number] | typeof UNSATISFIABLE;

/**
 * The range Bun serves of a file of `size` bytes for the request's Range (its own rule: one
 * `bytes=` range, else the whole file), when If-Range, if sent, holds for the file's ETag (the
 * app's, if any) and Last-Modified (ms); undefined for the whole file.
 */
function rangeOf(headers: Headers, etag: string | undefined, lastModified: number, size: number): Range | undefined {
  const header = headers.get('range');
  if (header === null || !ifRangeHolds(headers.get('if-range'), etag, lastModified)) return undefined;
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

/**
 * Bun's empty answer to a precondition, 412 or 304: the route's headers (and `set`), its type, no
 * body. A handler's 304 (and a GET's 412) gets a Date that Bun's own has not: Bun adds one to every
 * handler's answer of those, whatever its headers say.
 */
function bodiless(response: Response, contentType: string | undefined, status: number, set: Record<string, string>): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  if (contentType !== undefined && !headers.has('content-type')) headers.set('content-type', contentType);
  for (const [name, value] of Object.entries(set)) headers.set(name, value);
  return new Response(null, { status, headers });
}

/** Only a GET or HEAD of a 200 may be answered 304 (a POST gets the body, as from Bun). */
function conditional(request: Request, response: Response): boolean {
  return response.status === 200 && (request.method === 'GET' || request.method === 'HEAD');
}

/**
 * The type Bun gives a body implicitly (a string's text/plain), set where the answer would go
 * without it: a HEAD from a handler, and a GET of a clone whose string is not ASCII (sent as
 * application/octet-stream: a review). Other GETs go as Bun sends the clone.
 */
function withType(served: Response, contentType: string | undefined): Response {
  if (contentType !== undefined && !served.headers.has('content-type')) served.headers.set('content-type', contentType);
  return served;
}
