// Rollup cells in SQLite: merged on write (sketches merged, never overwritten) and read back as
// LiveCells for the core's query functions. The 10-second, minute and hour tables share one shape.
//
// Besides one row per (time, method, route, status class), each table holds the all-routes rows:
// method and route `*`, one per time and status class, the sum of every route. Whole-app charts and
// summaries read those (one row per status class and minute instead of one per route), so a day of
// a busy app stays cheap to chart. `*` can't come from a sender: the validator allows methods of
// capital letters only.
import { cellProblem, mergeInto, type LiveCell } from '../../core/rollup.ts';
import { QuantileSketch } from '../../core/sketch.ts';
import type { StatusClass } from '../../core/wire-format.ts';
import type { Sql } from './sql.ts';
import { UnreadableRows } from './unreadable.ts';

export type RollupTable = 'rollup_10s' | 'rollup_minute' | 'rollup_hour';
export const ROLLUP_TABLES: readonly RollupTable[] = ['rollup_10s', 'rollup_minute', 'rollup_hour'];

/** Method and route of the all-routes rows. */
export const ALL_ROUTES = '*';

/** Which rows a read wants: the all-routes rows, or the per-route rows (optionally one route). */
export type CellScope = { kind: 'all-routes' } | { kind: 'per-route'; route?: string };

/** A cell on its way into a table; `minute` holds the start of its row's window (10 s, minute or hour). */
export type CellWrite = LiveCell & {
  /** The sketch already serialised (as it arrived): stored as-is when the row is new. */
  sketchBytes?: Uint8Array;
};

// One statement set per table; table names come from this closed list, never from data.
const STATEMENTS = Object.fromEntries(ROLLUP_TABLES.map((table) => [table, {
  find: `SELECT id, time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
         WHERE time = ? AND method = ? AND route = ? AND status_class = ?`,
  insert: `INSERT INTO ${table} (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  update: `UPDATE ${table} SET count = ?, errors = ?, duration_sum = ?, duration_min = ?, duration_max = ?, bytes = ?, sketch = ? WHERE id = ?`,
  allRoutes: `SELECT id, time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
              WHERE method = '*' AND time >= ? AND time < ?`,
  perRoute: `SELECT id, time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
             WHERE time >= ? AND time < ? AND method != '*'`,
  oneRoute: `SELECT id, time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
             WHERE time >= ? AND time < ? AND route = ? AND method != '*'`,
}])) as Record<RollupTable, Record<'find' | 'insert' | 'update' | 'allRoutes' | 'perRoute' | 'oneRoute', string>>;

/** A stored rollup row, every column. */
export interface CellRow extends Record<string, number | string | ArrayBuffer | null> {
  id: number;
  time: number;
  method: string;
  route: string;
  status_class: string;
  count: number;
  errors: number;
  duration_sum: number;
  duration_min: number;
  duration_max: number;
  bytes: number;
  sketch: ArrayBuffer;
}

const toBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * Adds a cell into its row: counts add up, min/max widen, sketches merge. A row that can't be
 * decoded (see decodeRow) is replaced by the cell rather than failing every batch of its minute;
 * returns whether that happened.
 */
export function mergeCell(sql: Sql, table: RollupTable, cell: CellWrite): 'merged' | 'replaced' {
  const q = STATEMENTS[table];
  const existing = sql.exec<CellRow>(q.find, cell.minute, cell.method, cell.route, cell.statusClass).toArray()[0];
  const stored = existing && decodeRow(existing);
  if (existing === undefined || typeof stored === 'string') {
    const sketch = toBuffer(cell.sketchBytes ?? cell.sketch.toBytes());
    if (existing === undefined) {
      sql.exec(q.insert, cell.minute, cell.method, cell.route, cell.statusClass, cell.count, cell.errors,
        cell.durationSum, cell.durationMin, cell.durationMax, cell.bytes, sketch);
      return 'merged';
    }
    sql.exec(q.update, cell.count, cell.errors, cell.durationSum, cell.durationMin, cell.durationMax, cell.bytes, sketch, existing.id);
    return 'replaced';
  }
  const merged = mergeInto(stored!, cell);
  sql.exec(q.update, merged.count, merged.errors, merged.durationSum, merged.durationMin, merged.durationMax, merged.bytes,
    toBuffer(merged.sketch.toBytes()), existing.id);
  return 'merged';
}

/** The row as a cell, or what is wrong with it: a sketch that doesn't decode, numbers out of bounds. */
/** A stored row as a cell, or why the reads leave it out (the export names such rows the same way). */
export function decodeRow(row: CellRow): LiveCell | string {
  if (!(row.sketch instanceof ArrayBuffer)) return 'sketch: not a blob';
  let sketch: QuantileSketch;
  try {
    sketch = QuantileSketch.fromBytes(new Uint8Array(row.sketch));
  } catch (error) {
    return (error as Error).message;
  }
  const cell: LiveCell = {
    minute: row.time,
    method: row.method,
    route: row.route,
    statusClass: row.status_class as StatusClass,
    count: row.count,
    errors: row.errors,
    durationSum: row.duration_sum,
    durationMin: row.duration_min,
    durationMax: row.duration_max,
    bytes: row.bytes,
    sketch,
  };
  return cellProblem(cell) ?? cell;
}

/** Cells of one table with `time` in [from, to), of the scope's rows; rows that can't be decoded are left out and noted. */
export function readCells(sql: Sql, table: RollupTable, from: number, to: number, scope: CellScope, unreadable = new UnreadableRows()): LiveCell[] {
  if (from >= to) return [];
  const q = STATEMENTS[table];
  const cursor = scope.kind === 'all-routes'
    ? sql.exec<CellRow>(q.allRoutes, from, to)
    : scope.route === undefined ? sql.exec<CellRow>(q.perRoute, from, to) : sql.exec<CellRow>(q.oneRoute, from, to, scope.route);
  const out: LiveCell[] = [];
  for (const row of cursor) {
    const cell = decodeRow(row);
    if (typeof cell === 'string') unreadable.note(table, row.id, cell);
    else out.push(cell);
  }
  return out;
}
