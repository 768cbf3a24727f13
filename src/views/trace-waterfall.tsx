/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// One trace as a waterfall: spans in tree order, bars drawn in SVG (attributes, not inline styles,
// so the CSP needs no 'unsafe-inline'), each span's tags and logs one click away. Names and text are
// shown as the edge stores them (control, bidi and zero-width characters as U+FFFD): the in-process
// dashboard gets what the app recorded, which never passed the edge's check.
import type { Span } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { visibleName, visibleText } from '../core/invisible-text.ts';
import { PANEL_PARAMS, formatMs, formatTime, pageQuery, plural } from './format.ts';

interface Row {
  span: Span;
  depth: number;
}

/** Orders spans parent-before-children, siblings by start; orphans (parent not in the trace) are roots. */
export function treeOrder(spans: Span[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a: Span, b: Span) => a.startTime - b.startTime;
  const rows: Row[] = [];
  const seen = new Set<string>();
  // A stack, not recursion: a trace whose every span is the parent of the next is as deep as it is
  // long. Siblings go on it last first, so that they come off it in order.
  const pending: Row[] = [];
  const push = (spans: Span[], depth: number) => {
    for (const span of spans.sort(byStart).reverse()) pending.push({ span, depth });
  };
  push(roots, 0);
  for (let row = pending.pop(); row !== undefined; row = pending.pop()) {
    if (seen.has(row.span.spanId)) continue; // a cycle in hostile data must not hang the page
    seen.add(row.span.spanId);
    rows.push(row);
    push(children.get(row.span.spanId) ?? [], row.depth + 1);
  }
  return rows;
}

export function TraceWaterfall(props: { ctx: ViewContext; traceId: string; spans: Span[] }): JSX.Element {
  const { ctx, spans } = props;
  if (spans.length === 0) {
    return (
      <section class="panel waterfall">
        <h2>Trace not found</h2>
        <p class="empty" safe>{`No spans are stored for trace ${props.traceId}. Spans are kept 7 days.`}</p>
      </section>
    );
  }
  const rows = treeOrder(spans);
  // Loops, not Math.min(...spans): spreading thousands of spans as arguments overflows the stack.
  let start = Infinity;
  for (const s of spans) start = Math.min(start, s.startTime);
  // Offsets from the start, not ends in epoch ms: at 1.8e12 a double holds ~0.2 µs, and a one-span
  // trace read "33.9 µs" above its own 34.0 µs span.
  let end = 0;
  for (const s of spans) end = Math.max(end, s.startTime - start + s.duration);
  const total = Math.max(end, 0.001);
  return (
    // The dashboard's sort and traces' filters came in the address; its links (Back, the ranges) keep them.
    <section class="panel waterfall" aria-label="Trace waterfall" data-page-keeps={PANEL_PARAMS.join(' ')}>
      <h2>
        Trace <code safe>{props.traceId}</code>
      </h2>
      <p class="meta" safe>{`${plural(spans.length, 'span')} · ${formatMs(total)} · started ${formatTime(start)}`}</p>
      <ol class="spans">
        {rows.map(({ span, depth }) => {
          const x = ((span.startTime - start) / total) * 1000;
          const width = Math.max((span.duration / total) * 1000, 2);
          return (
            <li class={`span ${span.status === 'error' ? 'error' : ''} kind-${span.kind}`} data-span-id={span.spanId}>
              <details>
                <summary>
                  <span class="name">
                    {Array.from({ length: Math.min(depth, 20) }, () => <span class="indent"></span>)}
                    <span safe>{visibleName(span.name)}</span>
                  </span>
                  <svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label={`${formatMs(span.duration)} at +${formatMs(span.startTime - start)}`}>
                    <rect x={x.toFixed(1)} y="0" width={width.toFixed(1)} height="10" />
                  </svg>
                  <span class="duration" safe>{formatMs(span.duration)}</span>
                </summary>
                <SpanDetail span={span} />
              </details>
            </li>
          );
        })}
      </ol>
      <p>
        <a href={`${ctx.base}${pageQuery(ctx)}`} data-page-link>← Back to the dashboard</a>
      </p>
    </section>
  );
}

function SpanDetail(props: { span: Span }): JSX.Element {
  const { span } = props;
  const tags = Object.entries(span.tags);
  return (
    <div class="span-detail">
      <dl class="tags">
        <dt>kind</dt>
        <dd>{span.kind}</dd>
        <dt>status</dt>
        <dd>{span.status}</dd>
        {span.error ? (
          <>
            <dt>error</dt>
            <dd safe>{visibleText(span.error)}</dd>
          </>
        ) : (
          ''
        )}
        <dt>span id</dt>
        <dd safe>{span.spanId}</dd>
        {tags.map(([key, value]) => (
          <>
            <dt safe>{visibleName(key)}</dt>
            <dd safe>{visibleText(String(value))}</dd>
          </>
        ))}
      </dl>
      {span.logs.length > 0 ? (
        <ul class="logs">
          {span.logs.map((log) => (
            <li class={`log ${log.level === 'error' ? 'error' : ''}`}>
              <time safe>{formatTime(log.timestamp)}</time> <span class="level" safe>{visibleName(log.level)}</span> <span safe>{visibleText(log.message)}</span>
              {log.fields ? <code safe>{visibleText(JSON.stringify(log.fields))}</code> : ''}
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
    </div>
  );
}
