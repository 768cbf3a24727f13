/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The routes table: one row per route template, sortable, each row filtering the page to it.
import { ROUTES_SHOWN, type RouteRow, type RouteSort } from '../core/dashboard/data.ts';
import { ROUTE_ROWS_MAX } from '../core/query/routes.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { attributeText, formatApdex, formatCount, formatMs, formatPercent, pageQuery, query } from './format.ts';
import { visibleName } from '../core/invisible-text.ts';

/**
 * Each column sorts worst first (src/core/query/routes.ts): the numbers highest first, but Apdex
 * lowest first (the least satisfied routes on top, for whoever is paged), and routes A–Z.
 */
const ASCENDING: ReadonlySet<RouteSort> = new Set(['route', 'apdex']);

/** `rows`: up to ROUTES_SHOWN + 1, the one more saying that there are more than the table shows. */
export function RoutesTable(props: { ctx: ViewContext; rows: RouteRow[]; sort: RouteSort }): JSX.Element {
  const { ctx, sort } = props;
  const rows = props.rows.slice(0, ROUTES_SHOWN);
  const more = props.rows.length > ROUTES_SHOWN;
  // With the page's route and method: the fragment marks the selected row too. A sort replaces
  // a live refresh in flight, which would land after it and undo it (hx-sync), and a refresh is
  // dropped while a sort is in flight (this:abort): so in the traces and alerts panels too.
  const url = (s: RouteSort) => `${ctx.base}/fragments/routes${pageQuery(ctx, { sort: s })}`;
  // An id, so that htmx gives the focus back to the same header after the swap (else it falls to the body).
  const header = (s: RouteSort, label: string) => (
    <th aria-sort={s === sort ? (ASCENDING.has(s) ? 'ascending' : 'descending') : undefined}>
      <button type="button" id={`sort-${s}`} hx-get={url(s)} hx-target="#routes" hx-swap="outerHTML" hx-sync="closest section:replace" safe>
        {label}
      </button>
    </th>
  );
  return (
    <section
      id="routes" class="panel routes" aria-label="Routes" hx-get={url(sort)} hx-trigger="apm-refresh" hx-swap="outerHTML" hx-sync="this:abort"
      data-page-owns="sort" data-page-params={query({ sort: sort === 'requests' ? undefined : sort })}
    >
      <h2>Routes</h2>
      {rows.length === 0 ? (
        <p class="empty">No requests in this range.</p>
      ) : (
        <div class="table-scroll">
          <table class="stack-narrow">
            <thead>
              <tr>
                {header('route', 'Route')}
                {header('requests', 'Requests')}
                {header('errorRate', 'Errors')}
                {header('p50', 'p50')}
                {header('p95', 'p95')}
                {header('p99', 'p99')}
                {header('apdex', 'Apdex')}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr class={ctx.route === row.route && (ctx.method === undefined || ctx.method === row.method) ? 'selected' : undefined}>
                  <td class="route">
                    {/* Its whole name on hover: a long route is cut with an ellipsis in the table (a review). */}
                    <a href={`${ctx.base}${pageQuery({ ...ctx, route: row.route, method: row.method }, { sort: sort === 'requests' ? undefined : sort })}`} title={attributeText(`${visibleName(row.method)} ${visibleName(row.route)}`)}>
                      <span class="method" safe>{visibleName(row.method)}</span> <span safe>{visibleName(row.route)}</span>
                    </a>
                  </td>
                  <td data-col="requests" data-label="Requests" safe>{formatCount(row.requests)}</td>
                  <td data-col="errorRate" data-label="Errors" class={(row.errorRate ?? 0) >= 0.05 ? 'bad' : undefined} safe>{formatPercent(row.errorRate)}</td>
                  <td data-col="p50" data-label="p50" safe>{formatMs(row.latency.p50)}</td>
                  <td data-col="p95" data-label="p95" safe>{formatMs(row.latency.p95)}</td>
                  <td data-col="p99" data-label="p99" safe>{formatMs(row.latency.p99)}</td>
                  <td data-col="apdex" data-label="Apdex" safe>{formatApdex(row.apdex)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {/* A review: 1,010 routes showed as 200 rows, nothing said; the rest could not be reached. */}
      {more ? (
        <p class="hint" data-routes-more safe>
          {`The first ${formatCount(ROUTES_SHOWN)} routes in this order; there are more. Sort by another column, or get every route with Export JSON or the API's routes (limit up to ${formatCount(ROUTE_ROWS_MAX)}).`}
        </p>
      ) : (
        ''
      )}
    </section>
  );
}
