// A read filtered to one route, or to one method of it (a row of the routes table): the API's
// `route` and `method` parameters and the dashboard's, at the edge and in-process alike.

export interface RouteFilter {
  route?: string;
  method?: string;
}

/** A read of routes (the per-route rows), not of the whole app. */
export function isFiltered(filter: RouteFilter): boolean {
  return filter.route !== undefined || filter.method !== undefined;
}

/** Whether a cell is one the filter keeps (every cell, unfiltered). */
export function inFilter(cell: { route: string; method: string }, filter: RouteFilter): boolean {
  return (filter.route === undefined || cell.route === filter.route) && (filter.method === undefined || cell.method === filter.method);
}
