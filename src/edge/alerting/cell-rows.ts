// A rollup row (minute or hour) as an alert cell, the way rules read stored rows: a damaged row is
// left out, a sketch that does not decode reads as empty, and sketches stay bytes until read.
import type { AlertCell } from '../../core/alerts/alert-data.ts';
import { countsProblem } from '../../core/rollup.ts';
import { QuantileSketch } from '../../core/sketch.ts';
import type { CellRow as StoredRow } from '../store/rollups.ts';

/** The columns of a stored rollup row alerting reads (CELL_COLUMNS). */
export type CellRow = Pick<StoredRow, 'time' | 'method' | 'route' | 'status_class' | 'count' | 'errors' | 'duration_sum' | 'sketch'> & StoredRowValues;
type StoredRowValues = Record<string, string | number | ArrayBuffer | null>;

/** The columns a CellRow holds, for SELECTs of rollup_minute and rollup_hour alike. */
export const CELL_COLUMNS = 'time, method, route, status_class, count, errors, duration_sum, sketch';

/**
 * A cell whose sketch is decoded on first read, or null for a damaged row (counts out of bounds):
 * rules then see the minute without it, as the read API does. A sketch that turns out not to
 * decode reads as empty, so percentile rules are computed from the other cells.
 */
export function lazyCell(row: CellRow, known?: QuantileSketch): AlertCell | null {
  if (countsProblem(row.count, row.errors, row.duration_sum) !== null) return null;
  let decoded = known;
  return {
    minute: row.time,
    method: row.method,
    route: row.route,
    statusClass: row.status_class,
    count: row.count,
    errors: row.errors,
    durationSum: row.duration_sum,
    get sketch() {
      return (decoded ??= decodedSketch(row) ?? new QuantileSketch());
    },
  };
}

/** The row's sketch, or null when it does not decode or does not count the row's requests. */
export function decodedSketch(row: CellRow): QuantileSketch | null {
  try {
    const sketch = QuantileSketch.fromBytes(new Uint8Array(row.sketch));
    if (sketch.count === row.count) return sketch;
  } catch {
    // Damaged or from an older version.
  }
  return null;
}
