// Rollup cells into their rows: each recent cell into the app's 10-second row (and its route's with
// TEN_SECOND_ROUTES), each into its minute (and into its hour when that hour is already rolled up),
// with the all-routes sums. Cells of many batches are summed per row first, so a fold of many
// batches costs one row update per row however many cells fell into it.
import { mergeInto, minuteOf, type LiveCell } from '../../core/rollup.ts';
import { hourOf } from '../../core/query/window.ts';
import { getMetaNumber } from './meta.ts';
import { ALL_ROUTES, mergeCell, type CellWrite, type RollupTable } from './rollups.ts';
import type { Sql } from './sql.ts';

/** How long each table keeps cells, and whether 10-second rows are kept per route. */
export interface CellPolicy {
  minuteRetentionMs: number;
  tenSecondRetentionMs: number;
  /** 10-second rows per route too, not only the whole app's (TEN_SECOND_ROUTES). */
  tenSecondRoutes: boolean;
}

export interface CellsReport {
  /** Stored rows that could not be decoded, replaced by these cells (see rollups.ts). */
  replaced: number;
  /** The minutes written, into their minute rows or (past minute retention) their hour's only: alerting reads them afresh. */
  minutes: Set<number>;
}

/** A cell and when the edge took its batch: what decides which tables keep it. */
export interface TakenCell {
  cell: CellWrite;
  receivedAt: number;
}

/**
 * Writes cells whose routes already passed the cap, each as its batch's ingest would have when it
 * came: recent cells (by `receivedAt`) into the 10-second table, a minute cell at its minute's
 * start; each into its minute, and into its hour once that is rolled up (as of now).
 */
export function writeCells(sql: Sql, cells: Iterable<TakenCell>, policy: CellPolicy): CellsReport {
  // Hours before the watermark are already rolled up: late cells go into them directly.
  const watermark = getMetaNumber(sql, 'hour_watermark');
  const sums = new CellSums();
  const minutes = new Set<number>();
  for (const { cell, receivedAt } of cells) {
    if (cell.minute >= receivedAt - policy.tenSecondRetentionMs) {
      if (policy.tenSecondRoutes) sums.add('rollup_10s', cell.minute, cell);
      sums.add('rollup_10s', cell.minute, allRoutesOf(cell));
    }
    // Late minutes past retention go to their hour only.
    const minute = minuteOf(cell.minute);
    const hour = hourOf(minute);
    const coveredByHours = watermark !== null && hour < watermark;
    if (coveredByHours) {
      sums.add('rollup_hour', hour, cell);
      sums.add('rollup_hour', hour, allRoutesOf(cell));
    }
    if (!coveredByHours || minute >= receivedAt - policy.minuteRetentionMs) {
      sums.add('rollup_minute', minute, cell);
      sums.add('rollup_minute', minute, allRoutesOf(cell));
    }
    // Alerting reads whole hours from their hour rows: a cell into its hour only changes them too.
    minutes.add(minute);
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
