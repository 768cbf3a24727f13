// Reads the rollup cells a planned window needs, from minutes or from hours, for the core's
// query functions. Hours are complete below the watermark; minutes above it fill the rest.
import type { QueryWindow } from '../../core/query/window.ts';
import type { LiveCell } from '../../core/rollup.ts';
import { getMetaNumber } from './meta.ts';
import { readCells } from './rollups.ts';
import type { Sql } from './sql.ts';

export interface CellFilter {
  route?: string;
  method?: string;
}

export function cellsForWindow(sql: Sql, window: Pick<QueryWindow, 'from' | 'to' | 'resolution'>, filter: CellFilter = {}): LiveCell[] {
  const { from, to } = window;
  let cells: LiveCell[];
  if (window.resolution === 'minute') {
    cells = readCells(sql, 'rollup_minute', from, to, filter.route);
  } else {
    // Without a watermark nothing is rolled up yet: every cell is still a minute.
    const watermark = getMetaNumber(sql, 'hour_watermark') ?? from;
    cells = readCells(sql, 'rollup_hour', from, Math.min(to, watermark), filter.route)
      .concat(readCells(sql, 'rollup_minute', Math.max(from, watermark), to, filter.route));
  }
  return filter.method === undefined ? cells : cells.filter((cell) => cell.method === filter.method);
}
