/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The main page: the panels the `features` flags switch on, each filled from the same data as the API.
import type { DashboardPageModel } from '../core/dashboard/renderer.ts';
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { Layout } from './layout.tsx';
import { SummaryPanel } from './summary-panel.tsx';
import { ChartsPanel, SystemPanel } from './charts-panel.tsx';
import { RoutesTable } from './routes-table.tsx';
import { AlertsPanel } from './alerts-panel.tsx';
import { TracesPanel } from './traces-panel.tsx';
import { EmptyState } from './empty-state.tsx';
import { NotReceivedPanel } from './not-received-panel.tsx';
import { UsagePanel } from './usage-panel.tsx';
import { SamplingNote } from './sampling-note.tsx';

export function DashboardPage(props: { ctx: ViewContext; data: DashboardPageModel }): JSX.Element {
  const { ctx, data } = props;
  const { features } = ctx;
  return (
    <Layout ctx={ctx}>
      {data.hasData ? '' : <EmptyState ctx={ctx} />}
      <NotReceivedPanel losses={data.notReceived ?? []} />
      {data.usage ? <UsagePanel usage={data.usage} /> : ''}
      {features.realTimeMetrics ? <SummaryPanel ctx={ctx} summary={data.summary} live={data.live} /> : ''}
      {features.alertsPanel ? <AlertsPanel ctx={ctx} alerts={data.alerts.alerts} configProblems={data.alerts.configProblems} /> : ''}
      {features.historicalCharts ? <ChartsPanel ctx={ctx} /> : ''}
      <RoutesTable ctx={ctx} rows={data.routes} sort={data.sort} />
      <SamplingNote sampling={data.sampling ?? []} />
      {features.tracingView ? <TracesPanel ctx={ctx} traces={data.traces} filter={data.traceFilter} /> : ''}
      {features.systemMetrics ? <SystemPanel ctx={ctx} instances={data.instances} /> : ''}
    </Layout>
  );
}
