// Reads the rollup cells a planned window needs for the core's query functions. A chart reads the
// table of its resolution (hours complete below the watermark, minutes after it); a sum over the
// whole window (summary, route table) tiles it with the coarsest rows that fit: 10-second rows at
// its ragged ends, minutes up to whole hours, hours in between. Whole-app reads take the all-routes rows.
import { isFiltered, type RouteFilter } from '../../core/query/route-filter.ts';
import { HOUR_MS, MINUTE_MS, type QueryWindow } from '../../core/query/window.ts';
import type { LiveCell } from '../../core/rollup.ts';
import { getMetaNumber } from './meta.ts';
import { readCells, type CellScope, type RollupTable } from './rollups.ts';
import type { Sql } from './sql.ts';
import { UnreadableRows } from './unreadable.ts';

export type CellFilter = RouteFilter;

export interface ReadOptions {
  /** One row per route (the route table) rather than the all-routes rows. */
  perRoute: boolean;
  /**
   * The caller sums the whole window (summary, route table) rather than bucketing by time: whole
   * minutes and hours then come from their tables even in a 10-second window — the same sums in
   * 6× or 360× fewer rows.
   */
  wholeWindow: boolean;
}

type Part = [table: RollupTable, from: number, to: number];

const floorTo = (time: number, unit: number) => Math.floor(time / unit) * unit;
const ceilTo = (time: number, unit: number) => Math.ceil(time / unit) * unit;

/** Which table answers which part of [from, to). Exported for tests. */
export function windowParts(window: Pick<QueryWindow, 'from' | 'to' | 'resolution'>, wholeWindow: boolean, watermark: number | null): Part[] {
  const { from, to } = window;
  // Without a watermark nothing is rolled up yet: every cell is still a minute.
  const hoursEnd = watermark ?? -Infinity;
  if (!wholeWindow) {
    if (window.resolution === '10s') return [['rollup_10s', from, to]];
    if (window.resolution === 'minute') return [['rollup_minute', from, to]];
    const split = Math.max(from, Math.min(to, hoursEnd));
    return [['rollup_hour', from, split], ['rollup_minute', split, to]];
  }
  const minutesFrom = ceilTo(from, MINUTE_MS);
  const minutesTo = floorTo(to, MINUTE_MS);
  if (minutesFrom >= minutesTo) return [['rollup_10s', from, to]];
  const hoursFrom = ceilTo(minutesFrom, HOUR_MS);
  const hoursTo = Math.min(floorTo(minutesTo, HOUR_MS), hoursEnd);
  const middle: Part[] = hoursFrom < hoursTo
    ? [['rollup_minute', minutesFrom, hoursFrom], ['rollup_hour', hoursFrom, hoursTo], ['rollup_minute', hoursTo, minutesTo]]
    : [['rollup_minute', minutesFrom, minutesTo]];
  return [['rollup_10s', from, minutesFrom], ...middle, ['rollup_10s', minutesTo, to]];
}

/** The window's cells; rows that can't be decoded are left out and noted in `unreadable`. */
export function readWindowCells(
  sql: Sql, window: Pick<QueryWindow, 'from' | 'to' | 'resolution'>, filter: CellFilter, options: ReadOptions, unreadable = new UnreadableRows(),
): LiveCell[] {
  const scope: CellScope = !options.perRoute && !isFiltered(filter)
    ? { kind: 'all-routes' }
    : { kind: 'per-route', ...(filter.route !== undefined && { route: filter.route }) };
  const parts = windowParts(window, options.wholeWindow, getMetaNumber(sql, 'hour_watermark'));
  const cells: LiveCell[] = [];
  for (const [table, from, to] of parts) {
    if (from < to) for (const cell of readCells(sql, table, from, to, scope, unreadable)) cells.push(cell);
  }
  return filter.method === undefined ? cells : cells.filter((cell) => cell.method === filter.method);
}
