// The data a dashboard shows, in the shapes of the JSON export API, whichever host computed it.
import type { RouteRow, RouteSort } from '../query/routes.ts';
import type { Summary as QuerySummary } from '../query/summary.ts';
import type { SamplingPolicy, Span, SystemProfile } from '../wire-format.ts';

export const RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type RangeName = keyof typeof RANGES;
/**
 * The step each range is charted in by default (see planWindow): a range's window ends at now
 * rounded up to it, so the 15 m view is exactly 90 points of 10 s, the hour 360, a day 288 of 5 min.
 */
export const RANGE_STEPS: Record<RangeName, number> = { '15m': 10_000, '1h': 10_000, '6h': 60_000, '24h': 300_000, '7d': 3_600_000 };

/** `GET /api/v1/apps/:app/summary`, plus what only the live view knows. */
export type Summary = QuerySummary & {
  /** Requests in flight at the latest system profile, when known. */
  inFlight?: number | null;
};

/**
 * `GET /api/v1/apps/:app/live`: the last 60 s of complete data (from/until say which), and the
 * requests in flight at each instance's latest profile (null when none sent one in that time).
 */
export type LiveSummary = QuerySummary & { inFlight: number | null };

/** An instance on the System panel: its id, its latest process id, and whether it still sends. */
export interface InstanceView {
  instance: string;
  pid?: number | null;
  /** ms since the epoch. */
  lastSeen: number;
  /** False once it stopped sending (no batch for two minutes): its series ends there. */
  sending: boolean;
}

export type { RouteRow, RouteSort };

/** Rows the routes table shows: a page of thousands is slow to draw and to read; past them it says so. */
export const ROUTES_SHOWN = 200;

/** uPlot-ready columns: `t` in unix seconds ascending, every other column the same length, gaps null. */
export type Timeseries = { t: number[] } & Record<string, Array<number | null>>;

/** A System chart: `t` as above, a series per instance by name. Listed, not keyed: an instance may be called `t` or `__proto__`. */
export interface SystemSeries {
  t: number[];
  series: Array<{ name: string; values: Array<number | null> }>;
}

/** How an instance samples detail and traces, as it last said (counts never depend on it). */
export interface InstanceSampling {
  instance: string;
  policy: SamplingPolicy;
  /** Callers' sampled traces it passed on unsampled (past its cap), since the edge first saw it; absent from sources that do not keep it. */
  parentTracesRefused?: number;
}

/** Requests an instance counted but could not deliver (it dropped their counts and said how many). */
export interface RequestsNotReceived {
  instance: string;
  requests: number;
  /** When the instance last reported such a loss, ms since the epoch. */
  reportedAt: number;
}

/** `error`: a rule that could not be evaluated (an event, with nothing to resolve). */
export type AlertState = 'pending' | 'firing' | 'error' | 'resolved';

/** The alerts panel's data: the alerts, and what the host's alerting configuration left out. */
export interface AlertsPanelData {
  alerts: AlertView[];
  /** What the edge could not use (the edge's `configProblems`): a rule or channel that did not validate, a var name it does not know. */
  configProblems?: string[];
}

export interface AlertView {
  id: string;
  ruleId?: string;
  name: string;
  severity: 'info' | 'warning' | 'critical';
  state: AlertState;
  value?: number | null;
  threshold?: number | null;
  startedAt: number;
  resolvedAt?: number | null;
  message?: string;
}

/** One trace's spans, and what the read left out of them (a trace past what one read returns). */
export interface TraceSpans {
  spans: Span[];
  warnings?: string[];
}

/** One trace in a list: its root span's story. */
export interface TraceRow {
  traceId: string;
  name: string;
  route?: string | null;
  method?: string | null;
  statusCode?: number | null;
  startTime: number;
  duration: number;
  spanCount: number;
  error: boolean;
}

export type { RouteFilter } from '../query/route-filter.ts';

export interface TraceFilter {
  route?: string;
  method?: string;
  minDuration?: number;
  errorsOnly?: boolean;
  /** `recent` (default) or `slowest`. */
  order?: 'recent' | 'slowest';
  limit?: number;
}

export type { Span, SystemProfile };
