// Reads the rollup cells a planned window needs for the core's query functions. Hours are complete
// below the watermark and minutes fill the rest; whole-app reads take the all-routes rows.
import { HOUR_MS, type QueryWindow } from '../../core/query/window.ts';
import type { LiveCell } from '../../core/rollup.ts';
import { getMetaNumber } from './meta.ts';
import { readCells, type CellScope } from './rollups.ts';
import type { Sql } from './sql.ts';
import { UnreadableRows } from './unreadable.ts';

export interface CellFilter {
  route?: string;
  method?: string;
}

export interface ReadOptions {
  /** One row per route (the route table) rather than the all-routes rows. */
  perRoute: boolean;
  /**
   * The caller sums the whole window (summary, route table) rather than bucketing by time: whole
   * hours then come from hourly rollups even in a minute window — the same sums, 60× fewer rows.
   */
  wholeWindow: boolean;
}

/** The window's cells; rows that can't be decoded are left out and noted in `unreadable`. */
export function readWindowCells(
  sql: Sql, window: Pick<QueryWindow, 'from' | 'to' | 'resolution'>, filter: CellFilter, options: ReadOptions, unreadable = new UnreadableRows(),
): LiveCell[] {
  const { from, to } = window;
  const scope: CellScope = !options.perRoute && filter.route === undefined && filter.method === undefined
    ? { kind: 'all-routes' }
    : { kind: 'per-route', ...(filter.route !== undefined && { route: filter.route }) };
  // Without a watermark nothing is rolled up yet: every cell is still a minute.
  const watermark = getMetaNumber(sql, 'hour_watermark') ?? from;
  let hoursFrom = from;
  let hoursTo = from;
  if (window.resolution === 'hour') {
    hoursTo = Math.min(to, watermark);
  } else if (options.wholeWindow) {
    hoursFrom = Math.ceil(from / HOUR_MS) * HOUR_MS;
    hoursTo = Math.min(Math.floor(to / HOUR_MS) * HOUR_MS, watermark);
  }
  let cells: LiveCell[];
  if (hoursFrom < hoursTo) {
    cells = [
      ...readCells(sql, 'rollup_minute', from, hoursFrom, scope, unreadable),
      ...readCells(sql, 'rollup_hour', hoursFrom, hoursTo, scope, unreadable),
      ...readCells(sql, 'rollup_minute', hoursTo, to, scope, unreadable),
    ];
  } else {
    cells = readCells(sql, 'rollup_minute', from, to, scope, unreadable);
  }
  return filter.method === undefined ? cells : cells.filter((cell) => cell.method === filter.method);
}
