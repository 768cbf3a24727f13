// The main page: the panels the `features` flags switch on, each filled from the same data as the API.
import type { AlertView, RouteRow, Summary, TraceFilter, TraceRow } from '../core/dashboard/data.ts';
import type { ViewContext } from './context.ts';
import { Layout } from './layout.tsx';
import { SummaryPanel } from './summary-panel.tsx';
import { ChartsPanel, SystemPanel } from './charts-panel.tsx';
import { RoutesTable, type RouteSort } from './routes-table.tsx';
import { AlertsPanel } from './alerts-panel.tsx';
import { TracesPanel } from './traces-panel.tsx';
import { EmptyState } from './empty-state.tsx';

export interface DashboardPageData {
  summary: Summary;
  routes: RouteRow[];
  sort: RouteSort;
  alerts: AlertView[];
  traces: TraceRow[];
  traceFilter: TraceFilter;
  instances: string[];
  /** False when nothing was ever recorded for this app: the page explains how to start. */
  hasData: boolean;
}

export function DashboardPage(props: { ctx: ViewContext; data: DashboardPageData }): JSX.Element {
  const { ctx, data } = props;
  const { features } = ctx;
  return (
    <Layout ctx={ctx}>
      {data.hasData ? '' : <EmptyState ctx={ctx} />}
      {features.realTimeMetrics ? <SummaryPanel ctx={ctx} summary={data.summary} /> : ''}
      {features.alertsPanel ? <AlertsPanel ctx={ctx} alerts={data.alerts} /> : ''}
      {features.historicalCharts ? <ChartsPanel ctx={ctx} /> : ''}
      <RoutesTable ctx={ctx} rows={data.routes} sort={data.sort} />
      {features.tracingView ? <TracesPanel ctx={ctx} traces={data.traces} filter={data.traceFilter} /> : ''}
      {features.systemMetrics ? <SystemPanel ctx={ctx} instances={data.instances} /> : ''}
    </Layout>
  );
}
