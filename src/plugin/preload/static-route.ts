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
 * A file route's answer: the file as it is now, with its Last-Modified, or 304 when the client has
 * it; undefined when it is missing, for the fallback (sent, the Response had failed: a 500 and a dev page).
 */
function fileResponse(request: Request, response: Response, path: string, contentType: string | undefined): Response | undefined {
  const file = fileSystem().statSync(path, { throwIfNoEntry: false });
  if (file === undefined || !file.isFile()) return undefined;
  const lastModified = file.mtimeMs;
  const modified = new Date(lastModified).toUTCString();
  if (conditional(request, response)) {
    const ifNoneMatch = request.headers.get('if-none-match');
    // A file has no ETag here, so only `*` matches; If-Modified-Since counts only without If-None-Match (RFC 9110).
    const since = ifNoneMatch === null ? Date.parse(request.headers.get('if-modified-since') ?? '') : Number.NaN;
    // HTTP dates have whole seconds; the file's time is compared at that precision.
    if (ifNoneMatch?.trim() === '*' || since >= Math.floor(lastModified / 1000) * 1000) return notModified(response, contentType, { 'last-modified': modified });
  }
  const state = stateOf(request);
  if (state !== undefined) state.bytes = file.size;
  const served = response.clone();
  served.headers.set('last-modified', modified);
  // Bun dates a file's HEAD when it serves the route itself, not when a handler returns it.
  if (request.method === 'HEAD' && !served.headers.has('date')) served.headers.set('date', new Date().toUTCString());
  return withHeadType(request, served, contentType);
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
