// What the live tiles read at the edge: the last 60 seconds of complete 10-second cells, ending
// where every instance still sending has reported up to, and what is in flight now.
import { TEN_SECONDS_MS } from '../../core/rollup.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { scalar, type Sql } from './sql.ts';

/** How long the live tiles look back. */
export const LIVE_WINDOW_MS = 60_000;
/** An instance that sent no batch for this long has stopped sending (the System panel says so). */
export const LIVE_STALE_MS = 120_000;

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
  const oldest = scalar(sql, `SELECT MIN(reported_until) FROM instances
    WHERE reported_requests > 0 AND instance != ?
      AND reported_until + 2 * MIN(MAX(reported_until - reported_from, 1000), 60000) + 2000 >= ?`, OVERFLOW_ROUTE, now);
  return typeof oldest === 'number' ? Math.min(oldest, now) : now;
}

/** The live window: the last LIVE_WINDOW_MS of whole cells (10 s, or minutes) before the horizon. */
export function liveWindow(horizon: number, cellMs: number = TEN_SECONDS_MS): { from: number; to: number } {
  const to = horizon - (horizon % cellMs);
  return { from: to - LIVE_WINDOW_MS, to };
}

/**
 * Requests in flight: the sum, over instances that sent a profile since `since`, of the latest
 * one's count; null when none did.
 */
export function inFlight(sql: Sql, since: number): number | null {
  // SQLite takes the other columns of a MAX() aggregate from the row holding the maximum.
  const rows = sql.exec<{ in_flight: number; latest: number }>(
    'SELECT in_flight, MAX(timestamp) AS latest FROM profiles WHERE timestamp >= ? GROUP BY instance', since,
  ).toArray();
  return rows.length === 0 ? null : rows.reduce((sum, row) => sum + row.in_flight, 0);
}
