// A Bun.serve static route (`'/health': new Response('OK')`) turned into a handler so that it can be
// counted, keeping what Bun does for static routes: a strong ETag (xxHash64 of the body, as Bun
// computes it) and 304 Not Modified on a matching If-None-Match.
import { stateOf } from '../runtime/request-state.ts';

/**
 * @example
 * routes['/health'] = staticRouteHandler(new Response('OK'));
 */
export function staticRouteHandler(response: Response): (request: Request) => Response {
  let etag: string | undefined = response.headers.get('etag') ?? undefined;
  let length: number | undefined;
  // What each request gets a clone of: the app's response, then (once its body is read) the same
  // with the ETag set, so that no request pays for adding the header.
  let served = response;
  // Read once, off the request path; until it resolves (a microtask or two) responses go without an ETag.
  response
    .clone()
    .bytes()
    .then(
      (body) => {
        length = body.byteLength;
        if (etag !== undefined || body.byteLength === 0) return;
        etag = `"${Bun.hash.xxHash64(body).toString(16).padStart(16, '0')}"`;
        const headers = new Headers(response.headers);
        headers.set('etag', etag);
        served = new Response(body, { status: response.status, statusText: response.statusText, headers });
      },
      () => {},
    );
  return function staticRoute(request: Request): Response {
    if (etag !== undefined && response.status === 200) {
      const ifNoneMatch = request.headers.get('if-none-match');
      if (ifNoneMatch !== null && matchesEtag(ifNoneMatch, etag)) return notModified(response, etag);
    }
    const state = stateOf(request);
    if (state !== undefined && length !== undefined) state.bytes = length;
    return served.clone();
  };
}

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`; `*` matches anything. */
export function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

function notModified(response: Response, etag: string): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.set('etag', etag);
  return new Response(null, { status: 304, headers });
}
