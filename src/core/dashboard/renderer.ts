// The views a dashboard handler renders, passed in by the host (src/views implements it), so the
// runtime-neutral handler never imports JSX and the views stay pure functions of data.
import type { AlertsPanelData, InstanceSampling, InstanceView, LiveSummary, RequestsNotReceived, RouteRow, RouteSort, Summary, TraceFilter, TraceRow, TraceSpans } from './data.ts';
import type { ViewContext } from './view-context.ts';
import type { UsageView } from '../usage/usage.ts';

export interface DashboardPageModel {
  summary: Summary;
  live: LiveSummary;
  routes: RouteRow[];
  sort: RouteSort;
  alerts: AlertsPanelData;
  traces: TraceRow[];
  traceFilter: TraceFilter;
  instances: InstanceView[];
  hasData: boolean;
  /** Instances whose counts are short, and by how many requests. */
  notReceived?: RequestsNotReceived[];
  /** How the instances sample detail and traces. */
  sampling?: InstanceSampling[];
  /** The edge's usage today, against the plan (absent in-process). */
  usage?: UsageView;
}

type Html = string | Promise<string>;

export interface DashboardRenderer {
  page(ctx: ViewContext, model: DashboardPageModel): Html;
  /** The live tiles next to the range's totals. */
  summary(ctx: ViewContext, summary: Summary, live: LiveSummary): Html;
  routes(ctx: ViewContext, rows: RouteRow[], sort: RouteSort): Html;
  alerts(ctx: ViewContext, data: AlertsPanelData): Html;
  traces(ctx: ViewContext, traces: TraceRow[], filter: TraceFilter): Html;
  trace(ctx: ViewContext, traceId: string, trace: TraceSpans): Html;
  /** `basic` links to the username/password sign-in when that is on too. */
  login(ctx: ViewContext, error?: string, next?: string, basic?: boolean): Html;
}
