// Rollup cells in SQLite: merged on write (sketches merged, never overwritten) and read back as
// LiveCells for the core's query functions. Minute and hour tables share one shape.
import type { LiveCell } from '../../core/rollup.ts';
import { QuantileSketch } from '../../core/sketch.ts';
import type { StatusClass } from '../../core/wire-format.ts';
import type { Sql } from './sql.ts';

export type RollupTable = 'rollup_minute' | 'rollup_hour';

/** A cell on its way into a table: `time` is the start of its minute or hour. */
export interface CellWrite {
  time: number;
  method: string;
  route: string;
  statusClass: StatusClass;
  count: number;
  errors: number;
  durationSum: number;
  durationMin: number;
  durationMax: number;
  bytes: number;
  /** Serialised sketch bytes (stored as-is when the cell is new), or a sketch. */
  sketch: Uint8Array | QuantileSketch;
}

// One statement set per table; table names come from this closed list, never from data.
const STATEMENTS = Object.fromEntries((['rollup_minute', 'rollup_hour'] as const).map((table) => [table, {
  find: `SELECT id, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
         WHERE time = ? AND method = ? AND route = ? AND status_class = ?`,
  insert: `INSERT INTO ${table} (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  update: `UPDATE ${table} SET count = ?, errors = ?, duration_sum = ?, duration_min = ?, duration_max = ?, bytes = ?, sketch = ? WHERE id = ?`,
  range: `SELECT time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
          WHERE time >= ? AND time < ?`,
  rangeRoute: `SELECT time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}
               WHERE time >= ? AND time < ? AND route = ?`,
}])) as Record<RollupTable, Record<'find' | 'insert' | 'update' | 'range' | 'rangeRoute', string>>;

interface StoredCell extends Record<string, number | string | ArrayBuffer | null> {
  id: number;
  count: number;
  errors: number;
  duration_sum: number;
  duration_min: number;
  duration_max: number;
  bytes: number;
  sketch: ArrayBuffer;
}

const bytesOf = (sketch: Uint8Array | QuantileSketch): ArrayBuffer => {
  const bytes = sketch instanceof QuantileSketch ? sketch.toBytes() : sketch;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};

/** Adds a cell into its row: counts add up, min/max widen, sketches merge. */
export function mergeCell(sql: Sql, table: RollupTable, cell: CellWrite): void {
  const q = STATEMENTS[table];
  const existing = sql.exec<StoredCell>(q.find, cell.time, cell.method, cell.route, cell.statusClass).toArray()[0];
  if (existing === undefined) {
    sql.exec(q.insert, cell.time, cell.method, cell.route, cell.statusClass, cell.count, cell.errors,
      cell.durationSum, cell.durationMin, cell.durationMax, cell.bytes, bytesOf(cell.sketch));
    return;
  }
  const sketch = QuantileSketch.fromBytes(new Uint8Array(existing.sketch));
  sketch.merge(cell.sketch instanceof QuantileSketch ? cell.sketch : QuantileSketch.fromBytes(cell.sketch));
  sql.exec(q.update,
    existing.count + cell.count,
    existing.errors + cell.errors,
    existing.duration_sum + cell.durationSum,
    Math.min(existing.duration_min, cell.durationMin),
    Math.max(existing.duration_max, cell.durationMax),
    existing.bytes + cell.bytes,
    bytesOf(sketch),
    existing.id);
}

interface CellRow extends Record<string, number | string | ArrayBuffer | null> {
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

export function toLiveCell(row: CellRow): LiveCell {
  return {
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
    sketch: QuantileSketch.fromBytes(new Uint8Array(row.sketch)),
  };
}

/** Cells of one table with `time` in [from, to), optionally of one route. */
export function readCells(sql: Sql, table: RollupTable, from: number, to: number, route?: string): LiveCell[] {
  if (from >= to) return [];
  const q = STATEMENTS[table];
  const cursor = route === undefined ? sql.exec<CellRow>(q.range, from, to) : sql.exec<CellRow>(q.rangeRoute, from, to, route);
  const out: LiveCell[] = [];
  for (const row of cursor) out.push(toLiveCell(row));
  return out;
}
