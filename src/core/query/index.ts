// The query formulas shared by the edge and the in-process dashboard: one place per number.
export { addCell, emptyAggregate, errorRateOf, latencyOf, sketchOf, type Aggregate, type Latency } from './aggregate.ts';
export { apdexOf, countAtMost, DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';
export { routeTable, ROUTE_SORTS, type RouteRow, type RouteSort, type RouteTableOptions } from './routes.ts';
export { summarise, type Summary, type SummaryOptions } from './summary.ts';
export {
  METRIC_GROUPS, parseColumns, timeseries, TIMESERIES_COLUMNS, toUplotData,
  type Timeseries, type TimeseriesColumn, type TimeseriesOptions,
} from './timeseries.ts';
export {
  coveredSeconds, HOUR_MS, MAX_POINTS, MINUTE_MS, planWindow, RESOLUTION_MS, TEN_SECONDS_MS,
  type PlanOptions, type QueryWindow, type Resolution, type WindowRequest,
} from './window.ts';
