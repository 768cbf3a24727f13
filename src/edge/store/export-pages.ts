// The raw data of a window as NDJSON lines, a page at a time, so the Worker can stream an export
// of any size without holding it. Every line is one JSON object with a `type`.
import { RESOLUTION_MS } from '../../core/query/window.ts';
import { bytesToBase64 } from '../../core/sketch.ts';
import { chunkPage, type ChunkKind, type StoredEntry } from './detail-chunks.ts';
import { listInstances } from './instance-guard.ts';
import { decodeRow, ROLLUP_TABLES, type CellRow, type RollupTable } from './rollups.ts';
import { chunkProfileRecord, toProfileRecord, type ProfileRow } from './profiles.ts';
import { chunkSampleRecord, toSampleRecord, type SampleRow } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';
import { chunkSpanRecord, toSpanRecord, type SpanRow } from './traces.ts';
import { UnreadableRows } from './unreadable.ts';

/** Each rollup table's cell, in ms. */
const CELL_MS: Record<RollupTable, number> = { rollup_10s: RESOLUTION_MS['10s'], rollup_minute: RESOLUTION_MS.minute, rollup_hour: RESOLUTION_MS.hour };

/** The start of the table's cell that holds `from`. */
function cellStart(table: RollupTable, from: number): number {
  return from - (from % CELL_MS[table]);
}

/**
 * Where each rollup table's export starts: the start of its cell that holds `from`. Rows overlapping
 * the window go whole, as the rollup reads widen it (a row starting before `from` had been left out,
 * and an unaligned export's totals fell short of the summary's: a review).
 */
export function rollupsFrom(from: number): Record<RollupTable, number> {
  return Object.fromEntries(ROLLUP_TABLES.map((table) => [table, cellStart(table, from)])) as Record<RollupTable, number>;
}

/** The order an export walks the tables in. */
export const EXPORT_KINDS = ['rollup_10s', 'rollup_minute', 'rollup_hour', 'samples', 'spans', 'profiles', 'instances'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface ExportPage {
  lines: string[];
  /** Row id to continue after; null when this kind is done. */
  nextAfter: number | null;
}

type Paged = Exclude<ExportKind, 'instances'>;

const PAGE_QUERIES: Record<Paged, string> = {
  // The all-routes rows are sums of the others: not raw data, left out.
  // The 10-second table's rows for the whole app (method and route `*`): per-route rows, kept only with
  // TEN_SECOND_ROUTES on, add nothing the minutes do not hold.
  rollup_10s: `SELECT * FROM rollup_10s WHERE time >= ? AND time < ? AND id > ? AND method = '*' ORDER BY id LIMIT ?`,
  rollup_minute: `SELECT * FROM rollup_minute WHERE time >= ? AND time < ? AND id > ? AND method != '*' ORDER BY id LIMIT ?`,
  rollup_hour: `SELECT * FROM rollup_hour WHERE time >= ? AND time < ? AND id > ? AND method != '*' ORDER BY id LIMIT ?`,
  samples: 'SELECT * FROM samples WHERE timestamp >= ? AND timestamp < ? AND id > ? ORDER BY id LIMIT ?',
  spans: 'SELECT * FROM spans WHERE start_time >= ? AND start_time < ? AND id > ? ORDER BY id LIMIT ?',
  profiles: 'SELECT * FROM profiles WHERE timestamp >= ? AND timestamp < ? AND id > ? ORDER BY id LIMIT ?',
};

type AnyRow = Record<string, SqlValue>;

const LINE: Record<Paged, (row: AnyRow) => Record<string, unknown>> = {
  // The same requests as the minutes (each is in both): sum one resolution, not all.
  rollup_10s: (row) => rollupLine('rollup_10s', row, () => ({ type: 'rollup', resolution: '10s', ...rollupFields(row), seconds: 10 })),
  rollup_minute: (row) => rollupLine('rollup_minute', row, () => ({ type: 'rollup', resolution: 'minute', ...rollupFields(row) })),
  rollup_hour: (row) => rollupLine('rollup_hour', row, () => ({ type: 'rollup', resolution: 'hour', ...rollupFields(row) })),
  samples: (row) => ({ type: 'sample', ...toSampleRecord(row as SampleRow) }),
  spans: (row) => {
    const span = toSpanRecord(row as SpanRow);
    // A damaged row is named, not dropped silently and not allowed to end the export.
    return typeof span === 'string' ? { type: 'unreadable', table: 'spans', id: row.id, problem: span } : { type: 'span', ...span };
  },
  profiles: (row) => ({ type: 'profile', ...toProfileRecord(row as ProfileRow) }),
};

/**
 * A rollup row's line: the row as data when the reads would read it, else an `unreadable` line naming
 * its table and key (id, minute, method, route, status class), so the export's totals are the API's.
 */
function rollupLine(table: RollupTable, row: AnyRow, line: () => Record<string, unknown>): Record<string, unknown> {
  const problem = decodeRow(row as unknown as CellRow);
  if (typeof problem !== 'string') return line();
  return { type: 'unreadable', table, id: row.id, minute: row.time, method: row.method, route: row.route, statusClass: row.status_class, problem };
}

/** A rollup row in wire-format shape (`minute` is the start of its minute or hour). */
function rollupFields(row: AnyRow): Record<string, unknown> {
  return {
    minute: row.time, method: row.method, route: row.route, statusClass: row.status_class, count: row.count, errors: row.errors,
    durationSum: row.duration_sum, durationMin: row.duration_min, durationMax: row.duration_max, bytes: row.bytes,
    sketch: bytesToBase64(new Uint8Array(row.sketch as ArrayBuffer)),
  };
}

/**
 * Detail kinds are walked in two phases: the first layout's rows by id, then the chunks (`after`
 * from CHUNK_PHASE on is CHUNK_PHASE + the last chunk id read). Row ids stay far below it.
 */
const CHUNK_PHASE = 2 ** 50;

type RecordKind = Exclude<ChunkKind, 'traces'>;

const CHUNK_LINE: { [K in RecordKind]: (entry: StoredEntry<K>) => Record<string, unknown> } = {
  samples: (entry) => ({ type: 'sample', ...chunkSampleRecord(entry) }),
  spans: (entry) => ({ type: 'span', ...chunkSpanRecord(entry) }),
  profiles: (entry) => ({ type: 'profile', ...chunkProfileRecord(entry) }),
};

export function exportPage(sql: Sql, kind: ExportKind, from: number, to: number, after: number, limit: number): ExportPage {
  if (kind === 'instances') {
    // Few rows and no time: all at once, whatever the window.
    return { lines: after === 0 ? listInstances(sql).map((i) => JSON.stringify({ type: 'instance', ...i })) : [], nextAfter: null };
  }
  const chunked = kind === 'samples' || kind === 'spans' || kind === 'profiles';
  if (chunked && after >= CHUNK_PHASE - 1) return chunkExportPage(sql, kind, from, to, after, limit);
  const since = kind in CELL_MS ? cellStart(kind as RollupTable, from) : from;
  const rows = sql.exec<AnyRow>(PAGE_QUERIES[kind], since, to, after, limit).toArray();
  const lines = rows.map((row) => JSON.stringify(LINE[kind](row)));
  if (rows.length === limit) return { lines, nextAfter: rows[rows.length - 1]!.id as number };
  return { lines, nextAfter: chunked ? CHUNK_PHASE - 1 : null };
}

function chunkExportPage<K extends RecordKind>(sql: Sql, kind: K, from: number, to: number, after: number, limit: number): ExportPage {
  const unreadable = new UnreadableRows();
  const page = chunkPage(sql, kind, from, to, after - CHUNK_PHASE, limit, unreadable);
  const lines = page.entries.map((entry) => JSON.stringify(CHUNK_LINE[kind](entry)));
  // Damaged records are named, not dropped silently and not allowed to end the export.
  const { warnings } = unreadable.warnings();
  if (warnings) lines.push(JSON.stringify({ type: 'unreadable', table: kind, count: unreadable.count, problem: warnings[0] }));
  return { lines, nextAfter: page.nextAfter === null ? null : CHUNK_PHASE + page.nextAfter };
}
