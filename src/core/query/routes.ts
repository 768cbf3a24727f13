// The per-route table: one row per (method, route template) with counts, error rate, latency and Apdex.
import type { LiveCell } from '../rollup.ts';
import { OVERFLOW_ROUTE } from '../route-normaliser.ts';
import { addCell, emptyAggregate, type Aggregate } from './aggregate.ts';
import { DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';
import { totalsOf, type Totals } from './totals.ts';

export interface RouteRow extends Totals {
  method: string;
  route: string;
  /** True for the bucket that routes past the cardinality cap were counted in. */
  overflow: boolean;
}

/** The most rows one read of the route table gives: the JSON API's `limit` and the dashboard's Export JSON. */
export const ROUTE_ROWS_MAX = 10_000;

export const ROUTE_SORTS = ['requests', 'errors', 'errorRate', 'avg', 'p50', 'p95', 'p99', 'max', 'apdex', 'route'] as const;
export type RouteSort = (typeof ROUTE_SORTS)[number];

export interface RouteTableOptions {
  from: number;
  to: number;
  /** End of the time the data covers; default `to`. Rates divide by `until − from`. */
  until?: number;
  apdexThresholdMs?: number;
  /** Default `requests`. */
  sort?: RouteSort;
  /** Default worst first: descending, but ascending for `apdex` (lowest satisfaction first) and `route` (A–Z). */
  order?: 'asc' | 'desc';
  limit?: number;
}

/**
 * Groups the cells in [from, to) by method and route and sorts the rows. Nulls sort last in
 * either order; ties break on route then method so the order is stable.
 *
 * @example
 * routeTable(cells, { from, to, sort: 'p95' })[0]; // the slowest route by p95
 */
export function routeTable(cells: Iterable<LiveCell>, options: RouteTableOptions): RouteRow[] {
  const groups = new Map<string, { method: string; route: string; total: Aggregate }>();
  for (const cell of cells) {
    if (cell.minute < options.from || cell.minute >= options.to) continue;
    const key = `${cell.method} ${cell.route}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { method: cell.method, route: cell.route, total: emptyAggregate() };
      groups.set(key, group);
    }
    addCell(group.total, cell);
  }
  const seconds = (Math.max(options.from, Math.min(options.until ?? options.to, options.to)) - options.from) / 1000;
  const threshold = options.apdexThresholdMs ?? DEFAULT_APDEX_THRESHOLD_MS;
  const rows: RouteRow[] = [...groups.values()].map(({ method, route, total }) => ({
    method,
    route,
    ...totalsOf(total, seconds, threshold),
    overflow: route === OVERFLOW_ROUTE,
  }));
  const sort = options.sort ?? 'requests';
  const direction = (options.order ?? (sort === 'route' || sort === 'apdex' ? 'asc' : 'desc')) === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const byValue = compareNullsLast(sortValue(a, sort), sortValue(b, sort), direction);
    return byValue || a.route.localeCompare(b.route) || a.method.localeCompare(b.method);
  });
  return options.limit === undefined ? rows : rows.slice(0, options.limit);
}

function sortValue(row: RouteRow, sort: RouteSort): number | string | null {
  switch (sort) {
    case 'route': return row.route;
    case 'requests': case 'errors': case 'errorRate': case 'apdex': return row[sort];
    default: return row.latency[sort];
  }
}

function compareNullsLast(a: number | string | null, b: number | string | null, direction: number): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b) * direction;
  return ((a as number) < (b as number) ? -1 : 1) * direction;
}
