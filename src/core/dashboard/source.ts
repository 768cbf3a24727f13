// Where a dashboard gets its data: the edge reads its Durable Object, the in-process dashboard
// reads the monitor. Both answer in the shapes of the JSON export API.
import type { AlertsPanelData, InstanceSampling, InstanceView, LiveSummary, RequestsNotReceived, RouteFilter, RouteRow, RouteSort, Summary, SystemSeries, Timeseries, TraceFilter, TraceRow, TraceSpans } from './data.ts';
import type { UsageView } from '../usage/usage.ts';

export interface TimeWindow {
  from: number;
  to: number;
}

export type ChartMetric = 'latency' | 'throughput' | 'errors' | 'status';
export type SystemMetric = 'memory' | 'cpu' | 'eventLoop';

export interface DashboardSource {
  /** Apps this viewer may see. */
  apps(): Promise<string[]>;
  /** Whether anything was ever recorded for the app (decides the getting-started panel). */
  hasData(app: string): Promise<boolean>;
  /** The range's totals; rates divide by the time its data covers. */
  summary(app: string, window: TimeWindow, filter: RouteFilter): Promise<Summary>;
  /** The live tiles: the last 60 s of complete data, whatever the range. */
  live(app: string, filter: RouteFilter): Promise<LiveSummary>;
  /** The first `limit`, sorted worst first by `sort` (Apdex and route ascending, the rest descending). */
  routes(app: string, window: TimeWindow, sort: RouteSort, limit: number): Promise<RouteRow[]>;
  timeseries(app: string, metric: ChartMetric, window: TimeWindow, filter: RouteFilter): Promise<Timeseries>;
  /** `t` in unix seconds for uPlot; a series per instance. */
  system(app: string, metric: SystemMetric, window: TimeWindow): Promise<SystemSeries>;
  /** Instances seen within the window, most recently seen first. */
  instances(app: string, window: TimeWindow): Promise<InstanceView[]>;
  /** Instances that reported requests lost within the window (a host with no such loss leaves it out). */
  requestsNotReceived?(app: string, window: TimeWindow): Promise<RequestsNotReceived[]>;
  /** How the instances seen within the window sample (hosts that don't know leave it out). */
  sampling?(app: string, window: TimeWindow): Promise<InstanceSampling[]>;
  /** What the app costs at the edge today, against the plan (hosts without a cost leave it out). */
  usage?(app: string): Promise<UsageView>;
  alerts(app: string): Promise<AlertsPanelData>;
  /** False when there is no such open alert. */
  resolveAlert(app: string, id: string, now: number): Promise<boolean>;
  traces(app: string, window: TimeWindow, filter: TraceFilter): Promise<TraceRow[]>;
  trace(app: string, traceId: string): Promise<TraceSpans>;
}
