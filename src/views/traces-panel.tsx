/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Tracing view: recent or slowest traces with filters; each opens its waterfall.
import type { TraceFilter, TraceRow } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { visibleName } from '../core/invisible-text.ts';
import { attributeText, attributeValue, formatMs, formatTime, pageQuery, query } from './format.ts';

export function TracesPanel(props: { ctx: ViewContext; traces: TraceRow[]; filter: TraceFilter }): JSX.Element {
  const { ctx, filter } = props;
  const fragment = `${ctx.base}/fragments/traces`;
  // Live mode reloads the list with the filters it shows, as the other panels reload. A route
  // cleared from the form under a page's route filter is kept as an empty `traceRoute`: every route.
  const typed = filter.route === ctx.route ? undefined : (filter.route ?? '');
  const own = { traceRoute: typed, minDuration: filter.minDuration === undefined ? undefined : String(filter.minDuration), errors: filter.errorsOnly ? '1' : undefined, order: filter.order === 'slowest' ? 'slowest' : undefined };
  return (
    <section
      id="traces" class="panel traces" aria-label="Traces" hx-get={`${fragment}${pageQuery(ctx, own)}`} hx-trigger="apm-refresh" hx-swap="outerHTML" hx-sync="this:abort"
      data-page-owns={Object.keys(own).join(' ')} data-page-params={query(own)}
    >
      <h2>Traces</h2>
      {/* The controls have ids: htmx gives the focus back to the element of the same id after a swap.
          The text fields apply on Enter (or Filter), not on change: leaving one for the next had sent
          the form, and its answer redrew the next field while the user typed in it (a review). */}
      <form class="filters" hx-get={fragment} hx-target="#traces" hx-swap="outerHTML" hx-trigger="submit, change from:#trace-errors, change from:#trace-order" hx-sync="closest section:replace">
        <input type="hidden" name="app" value={attributeValue(ctx.app)} />
        <input type="hidden" name="range" value={ctx.range} />
        {ctx.route ? <input type="hidden" name="route" value={attributeValue(ctx.route)} /> : ''}
        {ctx.route && ctx.method ? <input type="hidden" name="method" value={attributeValue(ctx.method)} /> : ''}
        <label>
          Route <input type="text" id="trace-route" name="traceRoute" value={attributeValue(filter.route ?? '')} placeholder="/users/:id" maxlength="256" />
        </label>
        <label>
          Min ms <input type="number" id="trace-min-duration" name="minDuration" min="0" value={filter.minDuration === undefined ? '' : String(filter.minDuration)} />
        </label>
        <label>
          <input type="checkbox" id="trace-errors" name="errors" value="1" checked={filter.errorsOnly === true} /> Errors only
        </label>
        <label>
          Order{' '}
          <select id="trace-order" name="order">
            <option value="recent" selected={filter.order !== 'slowest'}>
              Recent
            </option>
            <option value="slowest" selected={filter.order === 'slowest'}>
              Slowest
            </option>
          </select>
        </label>
        <button type="submit" id="trace-filter">Filter</button>
      </form>
      {props.traces.length === 0 ? (
        <p class="empty">No traces match. Traces are sampled ({ctx.inProcess ? 'the tracer\'s sampleRate' : 'by default 1 a second: BUN_APM_TRACES_PER_SECOND'}); errors and slow requests show up first here.</p>
      ) : (
        <div class="table-scroll">
          <table class="stack-narrow">
            <thead class="labels-only">
              <tr>
                <th>Trace</th>
                <th>Status</th>
                <th>Duration</th>
                <th>Spans</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {props.traces.map((trace) => (
                <tr class={trace.error ? 'bad' : undefined}>
                  <td class="route">
                    {/* Named with its time and duration: a list of links all called "GET /" tells a screen reader nothing. */}
                    <a href={`${ctx.base}/traces/${encodeURIComponent(trace.traceId)}${pageQuery(ctx)}`} data-page-link aria-label={attributeText(`${visibleName(trace.name)}, ${formatMs(trace.duration)}, at ${formatTime(trace.startTime)}`)} safe>
                      {visibleName(trace.name)}
                    </a>
                  </td>
                  <td data-label="Status" safe>{trace.statusCode === undefined || trace.statusCode === null ? (trace.error ? 'error' : '–') : String(trace.statusCode)}</td>
                  <td data-label="Duration" safe>{formatMs(trace.duration)}</td>
                  <td data-label="Spans" safe>{String(trace.spanCount)}</td>
                  <td data-label="Started" safe>{formatTime(trace.startTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
