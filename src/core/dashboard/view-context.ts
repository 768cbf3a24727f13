// What every dashboard view needs besides its data: where it lives and which panels are on.
import type { RangeName } from './data.ts';

/** The spec's `features` flags; each switches one panel. */
export interface DashboardFeatures {
  realTimeMetrics: boolean;
  historicalCharts: boolean;
  alertsPanel: boolean;
  tracingView: boolean;
  systemMetrics: boolean;
}

export const ALL_FEATURES: DashboardFeatures = {
  realTimeMetrics: true,
  historicalCharts: true,
  alertsPanel: true,
  tracingView: true,
  systemMetrics: true,
};

export interface ViewContext {
  /** The dashboard's mount path, e.g. `/performance`. */
  base: string;
  /** Where the static assets are served from, e.g. `/performance/assets` or `/`. */
  assets: string;
  title: string;
  app: string;
  apps: string[];
  range: RangeName;
  /** The route template the page is filtered to, if any. */
  route?: string;
  /** With `route`: the one method of it the page is filtered to (a row of the routes table). */
  method?: string;
  refreshMs: number;
  /** Token that every state-changing form posts back. */
  csrf: string;
  features: DashboardFeatures;
  /** In the app's own process (the explicit API), not at the edge. */
  inProcess?: boolean;
}
