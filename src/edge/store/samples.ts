// Detail samples, listed newest first with filters and a cursor: in chunks (detail-chunks.ts) since
// migration 8, and in the first layout's table (a row per sample) until those rows expire.
import type { DetailSample } from '../../core/wire-format.ts';
import { encodeCursor, type CursorKey } from './cursor.ts';
import { firstRecords, type StoredEntry } from './detail-chunks.ts';
import type { Sql, SqlValue } from './sql.ts';
import { UnreadableRows, type Warnings } from './unreadable.ts';

export interface SampleRecord extends DetailSample {
  id: number;
  instance: string;
}

export interface SampleQuery {
  from: number;
  to: number;
  route?: string;
  method?: string;
  /** Inclusive status code range: 503..503 for one code, 500..599 for a class. */
  status?: [number, number];
  minDuration?: number;
  limit: number;
  /** (timestamp, id) of the last row already seen. */
  after?: CursorKey;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A samples row without its id and instance: what a detail record is stored as. */
export interface DetailRow extends Record<string, SqlValue> {
  timestamp: number; method: string; path: string; route: string; status_code: number;
  duration: number; user_agent: string | null; rss: number | null; heap_used: number | null; heap_total: number | null;
  cpu_usage: number | null; trace_id: string | null; span_id: string | null; response_size: number | null; error: string | null;
}

export interface SampleRow extends DetailRow {
  id: number;
  instance: string;
}

/** A stored row back in wire-format shape, optional fields left out when absent. */
export function toSampleRecord(row: SampleRow): SampleRecord {
  return { id: row.id, instance: row.instance, ...toDetailSample(row) };
}

/** The wire-format detail record a row was stored from (the row's id and instance left out). */
export function toDetailSample(row: DetailRow): DetailSample {
  const sample: DetailSample = {
    timestamp: row.timestamp, method: row.method, path: row.path, route: row.route, statusCode: row.status_code, duration: row.duration,
  };
  if (row.user_agent !== null) sample.userAgent = row.user_agent;
  if (row.rss !== null && row.heap_used !== null && row.heap_total !== null) {
    sample.memoryUsage = { rss: row.rss, heapUsed: row.heap_used, heapTotal: row.heap_total };
  }
  if (row.cpu_usage !== null) sample.cpuUsage = row.cpu_usage;
  if (row.trace_id !== null) sample.traceId = row.trace_id;
  if (row.span_id !== null) sample.spanId = row.span_id;
  if (row.response_size !== null) sample.responseSize = row.response_size;
  if (row.error !== null) sample.error = row.error;
  return sample;
}

export function listSamples(sql: Sql, query: SampleQuery): Page<SampleRecord> & Warnings {
  // Conditions are fixed fragments; every value is bound.
  const where = ['timestamp >= ?', 'timestamp < ?'];
  const params: SqlValue[] = [query.from, query.to];
  if (query.route !== undefined) where.push('route = ?'), params.push(query.route);
  if (query.method !== undefined) where.push('method = ?'), params.push(query.method);
  if (query.status !== undefined) where.push('status_code BETWEEN ? AND ?'), params.push(...query.status);
  if (query.minDuration !== undefined) where.push('duration >= ?'), params.push(query.minDuration);
  if (query.after !== undefined) where.push('(timestamp < ? OR (timestamp = ? AND id < ?))'), params.push(query.after[0], query.after[0], query.after[1]);
  const legacy = sql.exec<SampleRow>(
    `SELECT * FROM samples WHERE ${where.join(' AND ')} ORDER BY timestamp DESC, id DESC LIMIT ?`, ...params, query.limit + 1,
  ).toArray().map(toSampleRecord);
  const unreadable = new UnreadableRows();
  const chunked = firstRecords(sql, 'samples', { from: query.from, to: Math.min(query.to, query.after?.[0] ?? Infinity), order: 'desc', limit: query.limit + 1 },
    (entry) => sampleMatches(entry, query), unreadable).map(chunkSampleRecord);
  // The newest limit + 1 of both: the extra one says whether there is a next page.
  const rows = [...legacy, ...chunked].sort((a, b) => b.timestamp - a.timestamp || b.id - a.id).slice(0, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.timestamp, last.id]) : null, ...unreadable.warnings() };
}

/** The conditions of listSamples' SQL, on a record read from a chunk. */
function sampleMatches({ record: s, id }: StoredEntry<'samples'>, query: SampleQuery): boolean {
  if (s.timestamp < query.from || s.timestamp >= query.to) return false;
  if (query.route !== undefined && s.route !== query.route) return false;
  if (query.method !== undefined && s.method !== query.method) return false;
  if (query.status !== undefined && (s.statusCode < query.status[0] || s.statusCode > query.status[1])) return false;
  if (query.minDuration !== undefined && s.duration < query.minDuration) return false;
  if (query.after !== undefined) {
    const [time, afterId] = query.after;
    if (!(s.timestamp < time || (s.timestamp === time && typeof afterId === 'number' && id < afterId))) return false;
  }
  return true;
}

export function chunkSampleRecord({ id, instance, record }: StoredEntry<'samples'>): SampleRecord {
  return { id, instance, ...record };
}
