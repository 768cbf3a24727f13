// Rollup cells into their rows: each cell into its minute (and into its hour when that hour is
// already rolled up), with the all-routes sums. Cells of many batches are summed per row first, so
// a fold of many batches costs one row update per row however many cells fell into it.
import { mergeInto, type LiveCell } from '../../core/rollup.ts';
import { hourOf } from '../../core/query/window.ts';
import { getMetaNumber } from './meta.ts';
import { ALL_ROUTES, mergeCell, type CellWrite, type RollupTable } from './rollups.ts';
import type { Sql } from './sql.ts';

export interface CellsReport {
  /** Stored rows that could not be decoded, replaced by these cells (see rollups.ts). */
  replaced: number;
  /** The minutes written: alerting reads them afresh. */
  minutes: Set<number>;
}

/** Writes cells whose routes already passed the cap; `now` decides which minutes are past retention. */
export function writeCells(sql: Sql, cells: Iterable<CellWrite>, now: number, minuteRetentionMs: number): CellsReport {
  // Hours before the watermark are already rolled up: late cells go into them directly.
  const watermark = getMetaNumber(sql, 'hour_watermark');
  const minuteCutoff = now - minuteRetentionMs;
  const sums = new CellSums();
  const minutes = new Set<number>();
  for (const cell of cells) {
    const hour = hourOf(cell.minute);
    const coveredByHours = watermark !== null && hour < watermark;
    if (coveredByHours) {
      sums.add('rollup_hour', hour, cell);
      sums.add('rollup_hour', hour, allRoutesOf(cell));
    }
    if (!coveredByHours || cell.minute >= minuteCutoff) {
      sums.add('rollup_minute', cell.minute, cell);
      sums.add('rollup_minute', cell.minute, allRoutesOf(cell));
      minutes.add(cell.minute);
    }
  }
  let replaced = 0;
  for (const { table, time, cell } of sums.values()) {
    if (mergeCell(sql, table, { ...cell, minute: time }) === 'replaced') replaced++;
  }
  return { replaced, minutes };
}

/** The same cell as a contribution to the all-routes rows. */
function allRoutesOf(cell: CellWrite): CellWrite {
  return { ...cell, method: ALL_ROUTES, route: ALL_ROUTES };
}

/**
 * Cells summed per table, time and key before they are merged into rows. The first cell's sketch is
 * shared (and its serialised bytes reused) until a second cell arrives; the sum then gets a copy to grow.
 */
class CellSums {
  private readonly sums = new Map<string, { table: RollupTable; time: number; cell: CellWrite; owned: boolean }>();

  add(table: RollupTable, time: number, cell: CellWrite): void {
    const key = `${table} ${time} ${cell.method} ${cell.statusClass} ${cell.route}`;
    const sum = this.sums.get(key);
    if (sum === undefined) {
      this.sums.set(key, { table, time, cell, owned: false });
      return;
    }
    if (!sum.owned) {
      const { sketchBytes: _shared, ...rest } = sum.cell;
      sum.cell = { ...rest, sketch: sum.cell.sketch.clone() };
      sum.owned = true;
    }
    mergeInto(sum.cell, cell as LiveCell);
  }

  values(): IterableIterator<{ table: RollupTable; time: number; cell: CellWrite }> {
    return this.sums.values();
  }
}
