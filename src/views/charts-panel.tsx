/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// Historical charts: empty frames that dashboard.js fills with uPlot from the columnar JSON endpoint.
import type { InstanceView } from '../core/dashboard/data.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { formatTime, pageQuery, query } from './format.ts';
import { visibleName } from '../core/invisible-text.ts';

/** Chart ids → the series they draw; dashboard.js reads the same names from data attributes. */
export const CHARTS = [
  { id: 'latency', title: 'Latency (ms)', series: 'p50,p95,p99' },
  { id: 'throughput', title: 'Requests/s', series: 'rps' },
  { id: 'errors', title: 'Error rate (%)', series: 'errorRate' },
  { id: 'status', title: 'Status classes', series: '2xx,3xx,4xx,5xx' },
] as const;

export function ChartsPanel(props: { ctx: ViewContext }): JSX.Element {
  const { ctx } = props;
  return (
    <section class="panel charts" aria-label="Historical charts">
      {CHARTS.map((chart) => (
        <figure class="chart">
          <figcaption>{chart.title}</figcaption>
          <div
            class="chart-canvas"
            data-chart={chart.id}
            data-series={chart.series}
            data-src={`${ctx.base}/data/timeseries${pageQuery(ctx, { metric: chart.id })}`}
          ></div>
        </figure>
      ))}
    </section>
  );
}

export function SystemPanel(props: { ctx: ViewContext; instances: InstanceView[] }): JSX.Element {
  const { ctx } = props;
  if (props.instances.length === 0) {
    return (
      <section class="panel system" aria-label="System metrics">
        <h2>System</h2>
        <p class="empty">No system profiles yet. The preload sends one every profiling interval (default 10 s).</p>
      </section>
    );
  }
  return (
    <section class="panel system" aria-label="System metrics">
      <h2>System</h2>
      <ul class="instances" aria-label="Instances">
        {props.instances.map((i) => (
          <li class={i.sending ? 'sending' : 'stopped'}>
            <span class="instance-name" safe>{visibleName(i.instance)}</span>
            {i.pid !== undefined && i.pid !== null ? <span class="pid" safe>{`pid ${i.pid}`}</span> : ''}
            {i.sending ? '' : <span class="stopped-note" safe>{`stopped sending ${formatTime(i.lastSeen)}`}</span>}
          </li>
        ))}
      </ul>
      {(['memory', 'cpu', 'eventLoop'] as const).map((metric) => (
        <figure class="chart">
          <figcaption>{metric === 'memory' ? 'RSS (MiB) per instance' : metric === 'cpu' ? 'CPU (%) per instance' : 'Event-loop lag (ms) per instance'}</figcaption>
          <div class="chart-canvas" data-chart={`system-${metric}`} data-src={`${ctx.base}/data/system${query({ app: ctx.app, range: ctx.range, metric })}`}></div>
        </figure>
      ))}
    </section>
  );
}
