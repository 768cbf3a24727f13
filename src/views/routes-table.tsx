// The routes table: one row per route template, sortable, each row filtering the page to it.
import type { RouteRow } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { formatApdex, formatCount, formatMs, formatPercent, query } from './format.ts';

import type { RouteSort } from '../core/dashboard/renderer.ts';

export function sortRoutes(rows: RouteRow[], sort: RouteSort): RouteRow[] {
  const copy = [...rows];
  if (sort === 'route') return copy.sort((a, b) => a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
  // Worst first: Apdex ascending, everything else descending; nulls last.
  const dir = sort === 'apdex' ? 1 : -1;
  return copy.sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === null) return y === null ? 0 : 1;
    if (y === null) return -1;
    return (x - y) * dir;
  });
}

export function RoutesTable(props: { ctx: ViewContext; rows: RouteRow[]; sort: RouteSort }): JSX.Element {
  const { ctx, sort } = props;
  const rows = sortRoutes(props.rows, sort);
  const url = (s: RouteSort) => `${ctx.base}/fragments/routes${query({ app: ctx.app, range: ctx.range, sort: s })}`;
  const header = (s: RouteSort, label: string) => (
    <th aria-sort={s === sort ? (s === 'route' || s === 'apdex' ? 'ascending' : 'descending') : undefined}>
      <button type="button" hx-get={url(s)} hx-target="#routes" hx-swap="outerHTML" safe>
        {label}
      </button>
    </th>
  );
  return (
    <section id="routes" class="panel routes" aria-label="Routes" hx-get={url(sort)} hx-trigger={`every ${ctx.refreshMs}ms`} hx-swap="outerHTML">
      <h2>Routes</h2>
      {rows.length === 0 ? (
        <p class="empty">No requests in this range.</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                {header('route', 'Route')}
                {header('count', 'Requests')}
                {header('errorRate', 'Errors')}
                {header('p50', 'p50')}
                {header('p95', 'p95')}
                {header('p99', 'p99')}
                {header('apdex', 'Apdex')}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr class={ctx.route === row.route ? 'selected' : undefined}>
                  <td class="route">
                    <a href={`${ctx.base}${query({ app: ctx.app, range: ctx.range, route: row.route })}`}>
                      <span class="method" safe>{row.method}</span> <span safe>{row.route}</span>
                    </a>
                  </td>
                  <td safe>{formatCount(row.count)}</td>
                  <td class={row.errorRate >= 0.05 ? 'bad' : undefined} safe>{formatPercent(row.errorRate)}</td>
                  <td safe>{formatMs(row.p50)}</td>
                  <td safe>{formatMs(row.p95)}</td>
                  <td safe>{formatMs(row.p99)}</td>
                  <td safe>{formatApdex(row.apdex)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
