/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Real-time metrics: the tiles at the top, swapped in place by htmx every refresh interval.
import type { Summary } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { formatApdex, formatCount, formatMs, formatPercent, formatRate, query } from './format.ts';

export function SummaryPanel(props: { ctx: ViewContext; summary: Summary }): JSX.Element {
  const { ctx, summary } = props;
  const url = `${ctx.base}/fragments/summary${query({ app: ctx.app, range: ctx.range, route: ctx.route })}`;
  return (
    <section id="summary" class="panel tiles" hx-get={url} hx-trigger={`every ${ctx.refreshMs}ms`} hx-swap="outerHTML" aria-label="Real-time metrics">
      <Tile label="Requests/s" value={formatRate(summary.rps)} hint={`${formatCount(summary.requests)} requests`} name="rps" />
      <Tile label="Error rate" value={formatPercent(summary.errorRate)} hint={`${formatCount(summary.errors)} errors, ${formatCount(summary.clientErrors)} 4xx`} name="error-rate" tone={(summary.errorRate ?? 0) >= 0.05 ? 'bad' : (summary.errorRate ?? 0) >= 0.01 ? 'warn' : undefined} />
      <Tile label="p50" value={formatMs(summary.latency.p50)} name="p50" />
      <Tile label="p95" value={formatMs(summary.latency.p95)} name="p95" />
      <Tile label="p99" value={formatMs(summary.latency.p99)} name="p99" />
      <Tile label="Apdex" value={formatApdex(summary.apdex)} name="apdex" tone={summary.apdex !== null && summary.apdex < 0.7 ? 'bad' : summary.apdex !== null && summary.apdex < 0.85 ? 'warn' : undefined} />
      <Tile label="In flight" value={formatCount(summary.inFlight ?? null)} name="in-flight" />
    </section>
  );
}

function Tile(props: { label: string; value: string; hint?: string; name: string; tone?: 'warn' | 'bad' }): JSX.Element {
  return (
    <div class={`tile${props.tone ? ` ${props.tone}` : ''}`} data-metric={props.name}>
      <div class="label" safe>{props.label}</div>
      <div class="value" safe>{props.value}</div>
      {props.hint ? <div class="hint" safe>{props.hint}</div> : ''}
    </div>
  );
}
