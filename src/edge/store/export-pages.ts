// The raw data of a window as NDJSON lines, a page at a time, so the Worker can stream an export
// of any size without holding it. Every line is one JSON object with a `type`.
import { bytesToBase64 } from '../../core/sketch.ts';
import { listInstances } from './instance-guard.ts';
import { toProfileRecord, type ProfileRow } from './profiles.ts';
import { toSampleRecord, type SampleRow } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';
import { toSpanRecord, type SpanRow } from './traces.ts';

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
  rollup_10s: (row) => ({ type: 'rollup', resolution: '10s', ...rollupFields(row), seconds: 10 }),
  rollup_minute: (row) => ({ type: 'rollup', resolution: 'minute', ...rollupFields(row) }),
  rollup_hour: (row) => ({ type: 'rollup', resolution: 'hour', ...rollupFields(row) }),
  samples: (row) => ({ type: 'sample', ...toSampleRecord(row as SampleRow) }),
  spans: (row) => {
    const span = toSpanRecord(row as SpanRow);
    // A damaged row is named, not dropped silently and not allowed to end the export.
    return typeof span === 'string' ? { type: 'unreadable', table: 'spans', id: row.id, problem: span } : { type: 'span', ...span };
  },
  profiles: (row) => ({ type: 'profile', ...toProfileRecord(row as ProfileRow) }),
};

/** A rollup row in wire-format shape (`minute` is the start of its minute or hour). */
function rollupFields(row: AnyRow): Record<string, unknown> {
  return {
    minute: row.time, method: row.method, route: row.route, statusClass: row.status_class, count: row.count, errors: row.errors,
    durationSum: row.duration_sum, durationMin: row.duration_min, durationMax: row.duration_max, bytes: row.bytes,
    sketch: bytesToBase64(new Uint8Array(row.sketch as ArrayBuffer)),
  };
}

export function exportPage(sql: Sql, kind: ExportKind, from: number, to: number, after: number, limit: number): ExportPage {
  if (kind === 'instances') {
    // Few rows and no time: all at once, whatever the window.
    return { lines: after === 0 ? listInstances(sql).map((i) => JSON.stringify({ type: 'instance', ...i })) : [], nextAfter: null };
  }
  const rows = sql.exec<AnyRow>(PAGE_QUERIES[kind], from, to, after, limit).toArray();
  const lines = rows.map((row) => JSON.stringify(LINE[kind](row)));
  return { lines, nextAfter: rows.length === limit ? (rows[rows.length - 1]!.id as number) : null };
}
