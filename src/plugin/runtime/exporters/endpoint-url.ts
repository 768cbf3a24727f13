// Endpoint handling for the HTTP exporters: a base URL gets the backend's path appended (as the
// spec's `http://jaeger:14268` does), a URL already ending in it is kept; and the form safe to log.
import { mayHoldCredential } from '../../../core/config/kinds.ts';

/**
 * `http://jaeger:14268` + `/api/traces` → `http://jaeger:14268/api/traces`; a URL whose path
 * already ends with `signalPath` is used as it is. Throws on anything but an http(s) URL.
 */
export function signalUrl(endpoint: string, signalPath: string): string {
  // `127.0.0.1:4318` or `localhost:4318` would parse as a scheme of its own, or not at all.
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(endpoint)) throw new Error(`endpoint must start with http:// or https://, e.g. ${withScheme(endpoint)}`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`endpoint is not a valid URL: ${JSON.stringify(redactEndpoint(endpoint))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`endpoint must be an http:// or https:// URL, got ${url.protocol}//`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(signalPath)) url.pathname = `${path}${signalPath}`;
  return url.href;
}

/**
 * The endpoint as it was likely meant: `zipkin:9411` as `http://zipkin:9411` (a fixed example had
 * named the OTLP port to a Zipkin user). Only a plain host, port and path are repeated: anything
 * else may hold a credential.
 */
function withScheme(endpoint: string): string {
  return /^[A-Za-z0-9.-]+:\d{1,5}(\/[A-Za-z0-9/._-]*)?$/.test(endpoint) ? `http://${endpoint}` : 'http://host:port';
}

/** Scheme, host and path only: user info and query strings can carry credentials. */
export function redactUrl(href: string): string {
  try {
    const url = new URL(href);
    return `${url.origin}${url.pathname}`;
  } catch {
    return redactEndpoint(href);
  }
}

/** For strings that are not URLs: shown only as BUN_APM_ENDPOINT's errors would (`https://host:<api key>` does not parse). */
function redactEndpoint(text: string): string {
  if (!mayHoldCredential(text)) return text;
  const scheme = /^https?:/i.exec(text)?.[0];
  return scheme ? `${scheme}//…` : '…';
}
