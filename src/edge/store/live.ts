// What the live tiles read at the edge: the last 60 seconds of complete 10-second cells, ending
// where every instance still sending has reported up to, and what is in flight now.
import { LATEST as END_OF_TIME } from '../../core/wire-format.ts';
import { isFiltered, type RouteFilter } from '../../core/query/route-filter.ts';
import { RESOLUTION_MS, type Resolution } from '../../core/query/window.ts';
import { TEN_SECONDS_MS } from '../../core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { profilesBetween } from './profiles.ts';
import { processesOf, type ProcessReport } from './instance-processes.ts';
import type { Sql } from './sql.ts';

/** How long the live tiles look back. */
export const LIVE_WINDOW_MS = 60_000;
/** An instance that sent no batch for this long has stopped sending (the System panel says so). */
export const LIVE_STALE_MS = 120_000;
/** How far behind the store's clock an instance's data may end and still be waited for (its clock behind, or its batches late). */
export const MAX_HORIZON_LAG_MS = 5 * 60_000;

/**
 * The time up to which every instance still sending requests has reported (the end of its latest
 * batch window): data before it is complete. An instance is waited for while its next batch is due:
 * two of its batch windows (about its flush interval; counted as 1..60 s) and 2 s after the last
 * one ended. A client with requests to report sends every flush interval, so silence past that means
 * it had none (a quiet client sends a heartbeat a minute apart), or has gone: waiting longer would
 * only hide that traffic stopped. An instance whose latest batch counted no request holds nothing
 * back either. With none left, the horizon is now.
 */
export function liveHorizon(sql: Sql, now: number): number {
  // `other` (instances past the cap, all in one row) reports for whichever sent last: no horizon of its own.
  // Whether an instance still sends is judged by when its last batch came (last_seen, the store's
  // clock), not by the time its batch names (its own clock): a client whose clock ran 90 s behind
  // had been taken for stopped, and each minute evaluated before its data came (a review).
  // One further behind than MAX_HORIZON_LAG_MS is not waited for: held back to its data, every
  // other instance's tiles and alerts would wait that long (held at the bound, for nothing: a review).
  // Each process of an instance on its own (instance-processes.ts): processes started apart share one.
  let oldest = now;
  const rows = sql.exec<{ reported_until: number | null; reported_from: number | null; reported_requests: number | null; last_seen: number; processes: string | null }>(
    'SELECT reported_until, reported_from, reported_requests, last_seen, processes FROM instances WHERE instance != ? AND reported_until IS NOT NULL', OVERFLOW_ROUTE,
  );
  for (const row of rows) {
    const processes = processesOf(row.processes);
    // A row written before processes were kept: the instance's own figures, as one process.
    const reports = processes.length > 0 ? processes : [{ from: row.reported_from ?? 0, until: row.reported_until ?? 0, requests: row.reported_requests ?? 0, lastSeen: row.last_seen }];
    for (const report of reports) if (awaited(report, now)) oldest = Math.min(oldest, report.until);
  }
  return oldest;
}

/** Whether data up to `report.until` still waits for this process: it counts requests, its next batch is due, and it is not too far behind. */
function awaited(report: Omit<ProcessReport, 'pid'>, now: number): boolean {
  const period = Math.min(Math.max(report.until - report.from, 1000), 60_000);
  return report.requests > 0 && report.lastSeen + 2 * period + 2000 >= now && report.lastSeen - report.until <= MAX_HORIZON_LAG_MS;
}

/** The live window: the last LIVE_WINDOW_MS of whole cells (10 s, or minutes) before the horizon. */
export function liveWindow(horizon: number, cellMs: number = TEN_SECONDS_MS): { from: number; to: number } {
  const to = horizon - (horizon % cellMs);
  return { from: to - LIVE_WINDOW_MS, to };
}

/**
 * The live window of a read and the table it reads: 10-second cells, or, filtered to a route
 * without 10-second rows per route (TEN_SECOND_ROUTES off), the last whole minute.
 */
export function liveCells(horizon: number, filter: RouteFilter, tenSecondRoutes: boolean): { from: number; to: number; resolution: Resolution } {
  const resolution: Resolution = isFiltered(filter) && !tenSecondRoutes ? 'minute' : '10s';
  return { ...liveWindow(horizon, RESOLUTION_MS[resolution]), resolution };
}

/** What one store contributes to the live tiles (an app's shards each hold some of its instances). */
export interface LiveState {
  horizon: number;
  inFlight: number | null;
}

/**
 * Requests in flight: the sum, over instances that sent a profile since `since`, of the latest
 * one's count; null when none did. Profiles of either layout (chunks, or the first layout's rows).
 */
export function inFlight(sql: Sql, since: number): number | null {
  const latest = new Map<string, number>();
  // Oldest first: each instance's latest profile is the one left.
  for (const profile of profilesBetween(sql, since, END_OF_TIME)) latest.set(profile.instance, profile.inFlight);
  return latest.size === 0 ? null : [...latest.values()].reduce((sum, count) => sum + count, 0);
}
