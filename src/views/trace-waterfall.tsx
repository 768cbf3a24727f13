/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// One trace as a waterfall: spans in tree order, bars drawn in SVG (attributes, not inline styles,
// so the CSP needs no 'unsafe-inline'), each span's tags and logs one click away. Names and text are
// shown as the edge stores them (control, bidi and zero-width characters as U+FFFD): the in-process
// dashboard gets what the app recorded, which never passed the edge's check.
import type { Span } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { visibleName, visibleText } from '../core/invisible-text.ts';
import { PANEL_PARAMS, attributeText, formatMs, formatTime, pageQuery, plural } from './format.ts';

interface Row {
  span: Span;
  depth: number;
}

/**
 * Orders spans parent-before-children, siblings by start; orphans (parent not in the trace) and
 * self-parents are roots. Every span given is one row, whatever its links: spans no root reaches
 * (a cycle, A under B under A) are roots too, the earliest of each such group first, so a trace of
 * "4 spans" draws 4. Duplicate span ids are rows of their own; a span's children are drawn under the
 * first span of its parent's id. Work is O(n log n): each span is pushed at most four times, twice when
 * every span is reached from a root.
 */
export function treeOrder(spans: Span[]): Row[] {
  const n = spans.length;
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, number[]>();
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const span = spans[i]!;
    if (span.parentSpanId && ids.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(i);
      children.set(span.parentSpanId, list);
    } else {
      roots.push(i);
    }
  }
  // Stable: siblings that start at once stay in the order given.
  const byStart = (a: number, b: number) => spans[a]!.startTime - spans[b]!.startTime || a - b;
  for (const list of children.values()) list.sort(byStart);
  // A stack, not recursion: a trace whose every span is the parent of the next is as deep as it is
  // long. Siblings go on it last first, so that they come off it in order. Seen by index, not id:
  // a cycle in hostile data must not hang the page, nor a duplicate id hide a span. An id's children
  // are pushed once, under the first span of that id: walks that share `seen` share `expanded` too
  // (a child pushed is visited before its walk ends), so duplicate ids cost no more.
  const walk = (from: number[], seen: Uint8Array, expanded: Set<string>, rows?: Row[]) => {
    const pending: number[] = [];
    const depths: number[] = [];
    for (let k = from.length - 1; k >= 0; k--) {
      pending.push(from[k]!);
      depths.push(0);
    }
    while (pending.length > 0) {
      const i = pending.pop()!;
      const depth = depths.pop()!;
      if (seen[i]) continue;
      seen[i] = 1;
      rows?.push({ span: spans[i]!, depth });
      const id = spans[i]!.spanId;
      if (expanded.has(id)) continue;
      expanded.add(id);
      const list = children.get(id);
      if (list === undefined) continue;
      for (let k = list.length - 1; k >= 0; k--) {
        pending.push(list[k]!);
        depths.push(depth + 1);
      }
    }
  };
  roots.sort(byStart);
  const seen = new Uint8Array(n);
  const expanded = new Set<string>();
  const rows: Row[] = [];
  walk(roots, seen, expanded, rows);
  if (rows.length === n) return rows;
  // Some spans no root reaches (a cycle): in start order, each still unreached becomes a root and
  // takes what it reaches (the rest of its cycle), until every span is reached; then all the roots
  // are drawn again in start order.
  const order = Array.from({ length: n }, (_, i) => i).sort(byStart);
  for (const i of order) {
    if (seen[i]) continue;
    roots.push(i);
    walk([i], seen, expanded);
  }
  roots.sort(byStart);
  const all: Row[] = [];
  walk(roots, new Uint8Array(n), new Set(), all);
  return all;
}

export function TraceWaterfall(props: { ctx: ViewContext; traceId: string; spans: Span[] }): JSX.Element {
  const { ctx, spans } = props;
  if (spans.length === 0) {
    return (
      <section class="panel waterfall">
        <h2>Trace not found</h2>
        <p class="empty" safe>{`No spans are stored for trace ${props.traceId}. ${ctx.inProcess ? "The tracer keeps its most recent spans only (maxRecentSpans, 1,000 by default): this trace's have made way for newer ones." : 'Spans are kept 7 days.'}`}</p>
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
                  <span class="name" title={attributeText(visibleName(span.name))}>
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
        <a class="back-link" href={`${ctx.base}${pageQuery(ctx)}`} data-page-link>← Back to the dashboard</a>
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
