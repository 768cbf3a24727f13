// A whole hour for alerting from rollup_hour: one row per method, route and status class instead
// of sixty minute rows, so a day-long window reads 24 hour rows per key, not 1,440 minute rows.
//
// The hour rows are used only when they hold exactly what the hour's minutes hold, so rules read
// the same values either way. Ingest adds a late cell to both its minute row and its (rolled-up)
// hour row, and maintenance sums the minutes it can decode; they part only around damaged rows
// (a minute maintenance could not read, a damaged row replaced by a newer cell). A sketch merge is
// exact (integer bucket counts, min and max), so equal counts mean equal sketches: comparing each
// key's count, errors and duration sum with its minutes' finds every such difference, and the
// hour is then read from its minutes, which the minute reader filters row by row.
import type { AlertCell } from '../../core/alerts/alert-data.ts';
import { HOUR_MS } from '../../core/query/window.ts';
import type { Sql } from '../store/sql.ts';
import { CELL_COLUMNS, decodedSketch, lazyCell, type CellRow } from './cell-rows.ts';

// Per-route rows only: the all-routes rows (method '*') would count every request twice.
const HOUR_ROWS = `SELECT ${CELL_COLUMNS} FROM rollup_hour WHERE time = ? AND method != '*'`;
// TOTAL, not SUM: a damaged row's huge integer must not overflow (and fail the tick); it only makes the sums differ.
const MINUTE_SUMS = `SELECT method, route, status_class, TOTAL(count) AS count, TOTAL(errors) AS errors, TOTAL(duration_sum) AS duration_sum
  FROM rollup_minute WHERE time >= ? AND time < ? AND method != '*' GROUP BY method, route, status_class`;

/** A key's sums over the hour's minute rows: a CellRow's key and counts. */
type SumRow = Pick<CellRow, 'method' | 'route' | 'status_class' | 'count' | 'errors' | 'duration_sum'> & Record<string, string | number | ArrayBuffer | null>;

/** Floating-point sums added in another order differ in their last bits; anything more is a different sum. */
const SUM_TOLERANCE = 1e-9;

const keyOf = (row: { method: string; route: string; status_class: string }) => `${row.method} ${row.status_class} ${row.route}`;

/**
 * The hour's cells (`minute` is the hour's start) from its hour rows, or null when its minutes must
 * be read instead: an hour row is damaged or its sketch does not decode, or the rows differ from
 * the minutes'. An hour starting before `oldestMinute` (the oldest minute row kept) has had minutes
 * deleted by retention, all of them or its first ones: its hour rows are all that is left of it.
 */
export function wholeHourCells(sql: Sql, hour: number, oldestMinute: number | null): AlertCell[] | null {
  const rows = sql.exec<CellRow>(HOUR_ROWS, hour).toArray();
  const cells: AlertCell[] = [];
  for (const row of rows) {
    // Decoded here to check it, and kept: hour cells are read once and kept between ticks.
    const sketch = decodedSketch(row);
    const cell = sketch === null ? null : lazyCell(row, sketch);
    if (cell === null) return null;
    cells.push(cell);
  }
  if (oldestMinute === null || hour < oldestMinute) return cells;
  const sums = sql.exec<SumRow>(MINUTE_SUMS, hour, hour + HOUR_MS).toArray();
  if (sums.length !== rows.length) return null;
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  for (const sum of sums) {
    const row = byKey.get(keyOf(sum));
    if (row === undefined || row.count !== sum.count || row.errors !== sum.errors) return null;
    if (!(Math.abs(row.duration_sum - sum.duration_sum) <= SUM_TOLERANCE * Math.max(row.duration_sum, sum.duration_sum))) return null;
  }
  return cells;
}
