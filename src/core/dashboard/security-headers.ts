// The security headers of every response, by kind: pages (and their redirects) may load only our
// own scripts and styles; data (JSON, text, errors) and static assets may load nothing. None may be
// framed or sniffed. The edge's JSON API, its static assets (public/_headers) and the in-process
// dashboard all take their values from here.
import type { HeadersInput } from '../http/headers-input.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** For anything that is not a page: even opened directly it can run and load nothing. */
export const DATA_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export type ResponseKind = 'page' | 'data' | 'asset';

const COMMON: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const BY_KIND: Record<ResponseKind, Record<string, string>> = {
  page: { ...COMMON, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'Referrer-Policy': 'same-origin', 'Cross-Origin-Opener-Policy': 'same-origin' },
  data: { ...COMMON, 'Content-Security-Policy': DATA_CONTENT_SECURITY_POLICY, 'Referrer-Policy': 'no-referrer' },
  asset: { ...COMMON, 'Content-Security-Policy': DATA_CONTENT_SECURITY_POLICY, 'Referrer-Policy': 'no-referrer' },
};

/** The headers a response of this kind carries (a copy). Pages and data are `no-store`: they are behind sign-in. */
export function securityHeaders(kind: ResponseKind): Record<string, string> {
  return kind === 'asset' ? { ...BY_KIND.asset } : { ...BY_KIND[kind], 'Cache-Control': 'no-store' };
}

/** The response with this kind's security headers set; a Cache-Control it already has is kept for assets only. */
export function withSecurityHeaders(response: Response, kind: ResponseKind = 'page'): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(securityHeaders(kind))) headers.set(name, value);
  if (kind === 'asset' && !headers.has('Cache-Control')) headers.set('Cache-Control', 'public, max-age=300');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}


export function html(body: string, status = 200, extra: HeadersInput = {}): Response {
  const headers = new Headers(extra);
  headers.set('Content-Type', 'text/html; charset=utf-8');
  return withSecurityHeaders(new Response(body, { status, headers }), 'page');
}

export function json(data: unknown, status = 200, extra: HeadersInput = {}): Response {
  const headers = new Headers(extra);
  headers.set('Content-Type', 'application/json; charset=utf-8');
  return withSecurityHeaders(new Response(JSON.stringify(data), { status, headers }), 'data');
}

/** A 303 to a path of ours; `location` must already be a safe, serialised path. */
export function redirect(location: string, extra: HeadersInput = {}): Response {
  const headers = new Headers(extra);
  headers.set('Location', location);
  return withSecurityHeaders(new Response(null, { status: 303, headers }), 'page');
}

/** The error shape of every dashboard refusal: `{ error: { code, message } }`. */
export function problem(status: number, code: string, message: string, extra: HeadersInput = {}): Response {
  return json({ error: { code, message } }, status, extra);
}
