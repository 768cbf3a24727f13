/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The tiles at the top: what is happening now (the last 60 s of complete data) next to the range's
// totals, each group saying which window it counts; swapped in place on every refresh.
import type { LiveSummary, Summary } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { formatApdex, formatAverageRate, formatCount, formatMs, formatPercent, formatRate, formatSpan, formatTime, pageQuery, plural } from './format.ts';

type Tone = 'warn' | 'bad' | undefined;

function errorTone(rate: number | null): Tone {
  return (rate ?? 0) >= 0.05 ? 'bad' : (rate ?? 0) >= 0.01 ? 'warn' : undefined;
}

export function SummaryPanel(props: { ctx: ViewContext; summary: Summary; live: LiveSummary }): JSX.Element {
  const { ctx, summary, live } = props;
  const url = `${ctx.base}/fragments/summary${pageQuery(ctx)}`;
  const liveSpan = formatSpan(live.until - live.from);
  return (
    <section id="summary" class="panel tiles" hx-get={url} hx-trigger="apm-refresh" hx-swap="outerHTML" aria-label="Real-time metrics">
      <div class="tile-group live" data-window="live" data-from={String(live.from)} data-until={String(live.until)}>
        <h2 class="group-title">
          Now <span class="window" safe>{`last ${liveSpan}, to ${formatTime(live.until).slice(11)}`}</span>
        </h2>
        <div class="tile-row">
          <Tile label="Requests/s" value={formatRate(live.rps)} raw={live.rps} hint={`${plural(live.requests, 'request')} in ${liveSpan}`} name="rps" />
          <Tile label="Error rate" value={formatPercent(live.errorRate)} hint={`${plural(live.errors, 'error')}, ${formatCount(live.clientErrors)} 4xx`} name="error-rate" tone={errorTone(live.errorRate)} />
          <Tile label="p50" value={formatMs(live.latency.p50)} name="p50" />
          <Tile label="p95" value={formatMs(live.latency.p95)} name="p95" />
          <Tile label="p99" value={formatMs(live.latency.p99)} name="p99" />
          <Tile label="In flight" value={formatCount(live.inFlight)} hint="at the latest profile" name="in-flight" />
        </div>
      </div>
      <div class="tile-group range" data-window="range" data-from={String(summary.from)} data-until={String(summary.until)}>
        <h2 class="group-title">
          Range <span class="window" safe>{`${ctx.range}: ${formatSpan(summary.until - summary.from)} to ${formatTime(summary.until).slice(11)}`}</span>
        </h2>
        <div class="tile-row">
          <Tile label="Requests" value={formatCount(summary.requests)} raw={summary.requests} hint={`${formatAverageRate(summary.rps)} on average`} name="requests" />
          <Tile label="Error rate" value={formatPercent(summary.errorRate)} hint={`${plural(summary.errors, 'error')}, ${formatCount(summary.clientErrors)} 4xx`} name="range-error-rate" tone={errorTone(summary.errorRate)} />
          <Tile label="p95" value={formatMs(summary.latency.p95)} hint={`p99 ${formatMs(summary.latency.p99)}`} name="range-p95" />
          <Tile label="Apdex" value={formatApdex(summary.apdex)} hint={`T = ${formatMs(summary.apdexThresholdMs)}`} name="apdex" tone={summary.apdex !== null && summary.apdex < 0.7 ? 'bad' : summary.apdex !== null && summary.apdex < 0.85 ? 'warn' : undefined} />
        </div>
      </div>
    </section>
  );
}

/** `raw`: the unrounded figure, for scripts and tests that compare it (the text is rounded for people). */
function Tile(props: { label: string; value: string; raw?: number | null; hint?: string; name: string; tone?: Tone }): JSX.Element {
  return (
    <div class={`tile${props.tone ? ` ${props.tone}` : ''}`} data-metric={props.name} data-value={props.raw === undefined || props.raw === null ? undefined : String(props.raw)}>
      <div class="label" safe>{props.label}</div>
      <div class="value" safe>{props.value}</div>
      {props.hint ? <div class="hint" safe>{props.hint}</div> : ''}
    </div>
  );
}
