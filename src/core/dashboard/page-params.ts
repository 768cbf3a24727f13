// The dashboard's query parameters: what its own links, forms and scripts send is read (absent or
// empty keeps the default); a value they never send is a 400 naming the parameter and what it takes,
// not a page silently showing something else.
import { HTTP_METHOD, LIMITS } from '../wire-format.ts';
import type { RouteFilter, TraceFilter } from './data.ts';
import { FormError } from './read-form.ts';

/** A query value the dashboard does not send: a 400 problem, answered as a bad form field is. */
function badQuery(message: string): FormError {
  return new FormError(400, 'invalid_parameter', message);
}

/**
 * The parameter's value, null when absent; given twice it is a 400, as the JSON API answers (a
 * review: `sort=p95&sort=bogus` had shown the first, the second dropped unsaid).
 */
export function single(url: URL, name: string): string | null {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw badQuery(`${name}: given ${values.length} times; give it once`);
  return values[0] ?? null;
}

/** One of `allowed`, `fallback` when absent or empty. */
export function oneOf<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const raw = single(url, name);
  if (raw === null || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw badQuery(`${name}: expected one of ${allowed.join(', ')}`);
  return raw as T;
}

/**
 * A route filter (`route`, `traceRoute`); empty is none. At most a route's length, as the API's
 * `route` is: no stored route is longer (the wire format caps them), so the dashboard's own links
 * never send more, and a longer value is a 400 naming it, not clipped into another filter.
 */
export function textParam(url: URL, name: string): string | undefined {
  const raw = single(url, name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > LIMITS.routeLength) throw badQuery(`${name}: expected at most ${LIMITS.routeLength} characters`);
  return raw;
}

/** The method of a routes-table row; empty is none. */
export function methodParam(url: URL): string | undefined {
  const method = single(url, 'method');
  if (method === null || method === '') return undefined;
  if (!HTTP_METHOD.test(method)) throw badQuery('method: expected an HTTP method in capitals, such as GET');
  return method;
}

/**
 * What an `<input type="number">` can send: a floating-point number as HTML writes one (`200`,
 * `1.5`, `.5`, `-3`, `1e3`); the browser sends anything else it holds as empty.
 */
const HTML_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The traces form's Min ms: a positive number, or none (empty, zero or below: every trace). */
function minDurationParam(url: URL): number | undefined {
  const raw = single(url, 'minDuration');
  if (raw === null || raw === '') return undefined;
  if (!HTML_NUMBER.test(raw)) throw badQuery('minDuration: expected a number of milliseconds, such as 200');
  const min = Math.min(Number(raw), Number.MAX_VALUE);
  return min > 0 ? min : undefined;
}

/** The traces form's "Errors only" checkbox: `1` when ticked, absent when not. */
function errorsParam(url: URL): boolean {
  const raw = single(url, 'errors');
  if (raw === null || raw === '') return false;
  if (raw !== '1') throw badQuery('errors: expected 1 (errors only) or nothing');
  return true;
}

/**
 * The traces list's filter: the route typed into its form (`traceRoute`; sent empty, every route),
 * else the page's route and method (a row of the routes table); the method holds only while the
 * route is the page's.
 */
export function traceFilter(url: URL, page: RouteFilter): TraceFilter {
  const route = url.searchParams.has('traceRoute') ? textParam(url, 'traceRoute') : page.route;
  return {
    route,
    method: route === page.route ? page.method : undefined,
    minDuration: minDurationParam(url),
    errorsOnly: errorsParam(url),
    order: oneOf(url, 'order', ['recent', 'slowest'] as const, 'recent'),
    limit: 50,
  };
}
