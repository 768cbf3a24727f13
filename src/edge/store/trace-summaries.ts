// One summary row per trace, kept up to date as its spans arrive: what the trace list filters and
// sorts on. The row is keyed by trace id alone (one row written per trace, no index entry); the
// list finds traces by time through the trace index, chunks of (trace id, start) written by each
// write in the minute of the trace's start then. An index entry may be stale (a later span moved the
// trace's start earlier, and a newer entry says so): the list reads the row and goes by it.
// The first layout's `traces` table (a row and two index entries per trace) is read until its rows
// expire; a trace it holds that gets more spans moves here.
import { methodKey, STANDARD_METHODS } from '../../core/request-key.ts';
import { encodeCursor, type CursorKey } from './cursor.ts';
import { chunkBase } from './chunk-ids.ts';
import { CHUNK_TABLES, minutesOf, writeChunks } from './detail-chunks.ts';
import type { Page } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';
import { UnreadableRows, type Warnings } from './unreadable.ts';
import { toMicros } from '../../core/wire-format.ts';

export interface TraceSummary {
  traceId: string;
  startTime: number;
  duration: number;
  /** Name of the root span (or of the earliest server span when the root is upstream). */
  name: string;
  route: string | null;
  method: string | null;
  statusCode: number | null;
  error: boolean;
  spanCount: number;
  service: string;
}

export interface TraceQuery {
  from: number;
  to: number;
  route?: string;
  method?: string;
  minDuration?: number;
  errorsOnly?: boolean;
  /** recent: newest first; slowest: longest first. */
  sort: 'recent' | 'slowest';
  limit: number;
  after?: CursorKey;
  /** A shard's rows for the sharded list (app-reader.ts): with `rootKnown`, and rows without the root kept whatever their route and method. */
  partRows?: boolean;
}

/** One write's spans of a trace, summed up: what its row merges in. */
export interface TracePart {
  start: number;
  end: number;
  name: string;
  route: string | null;
  method: string | null;
  statusCode: number | null;
  error: boolean;
  spans: number;
  /** The part holds the trace's root span: its name, route and status win. */
  rootKnown: boolean;
  service: string;
}

interface SummaryRow extends Record<string, SqlValue> {
  trace_id: string; start_time: number; end_time: number; duration: number; name: string; route: string | null; method: string | null;
  status_code: number | null; error: number; span_count: number; root_known: number; service: string;
}

const COLUMNS = 'trace_id, start_time, end_time, duration, name, route, method, status_code, error, span_count, root_known, service';

// A part merges into a row as the first layout's upsert did: times widen, counts add, the root's fields win.
const UPSERT = `INSERT INTO trace_summaries (${COLUMNS}, chunks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (trace_id) DO UPDATE SET
    start_time = MIN(start_time, excluded.start_time),
    end_time = MAX(end_time, excluded.end_time),
    duration = MAX(end_time, excluded.end_time) - MIN(start_time, excluded.start_time),
    error = MAX(error, excluded.error),
    span_count = span_count + excluded.span_count,
    name = CASE WHEN excluded.root_known > root_known THEN excluded.name ELSE name END,
    route = CASE WHEN excluded.root_known > root_known THEN excluded.route ELSE COALESCE(route, excluded.route) END,
    method = CASE WHEN excluded.root_known > root_known THEN excluded.method ELSE COALESCE(method, excluded.method) END,
    status_code = CASE WHEN excluded.root_known > root_known THEN excluded.status_code ELSE COALESCE(status_code, excluded.status_code) END,
    service = CASE WHEN excluded.root_known > root_known THEN excluded.service ELSE service END,
    root_known = MAX(root_known, excluded.root_known),
    chunks = excluded.chunks`;

/** A trace's row as the writer needs it: where its spans are, and its start. */
export function knownTrace(sql: Sql, traceId: string): { chunks: number[]; start: number } | null {
  const row = sql.exec<{ chunks: string; start_time: number }>('SELECT chunks, start_time FROM trace_summaries WHERE trace_id = ?', traceId).toArray()[0];
  if (row) return { chunks: chunkIdsOf(row.chunks), start: row.start_time };
  // A trace of the first layout: its row moves here (its spans stay in the old table, read by id).
  const old = sql.exec<SummaryRow>(`SELECT ${COLUMNS} FROM traces WHERE trace_id = ?`, traceId).toArray()[0];
  if (!old) return null;
  sql.exec(`INSERT INTO trace_summaries (${COLUMNS}, chunks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')`,
    old.trace_id, old.start_time, old.end_time, old.duration, old.name, old.route, old.method, old.status_code, old.error, old.span_count, old.root_known, old.service);
  sql.exec('DELETE FROM traces WHERE trace_id = ?', traceId);
  return { chunks: [], start: old.start_time };
}

/** Merges one write's part of each trace into its row; then indexes every trace written, once, at its start. */
export class TraceWriter {
  private readonly starts = new Map<string, number>();

  constructor(private readonly sql: Sql) {}

  merge(traceId: string, part: TracePart, chunks: readonly number[], knownStart: number | null): void {
    this.sql.exec(UPSERT, traceId, part.start, part.end, part.end - part.start, part.name, part.route, part.method, part.statusCode,
      part.error ? 1 : 0, part.spans, part.rootKnown ? 1 : 0, part.service, JSON.stringify([...new Set(chunks)]));
    const start = Math.min(part.start, this.starts.get(traceId) ?? knownStart ?? Infinity);
    this.starts.set(traceId, start);
  }

  /** The trace index entries of this write: one chunk row per minute. */
  index(): void {
    if (this.starts.size === 0) return;
    writeChunks(this.sql, 'traces', [...this.starts].map(([traceId, start]) => ({ traceId, start })));
    this.starts.clear();
  }
}

/** The chunk ids a row lists (none for a damaged list). */
export function chunkIdsOf(text: string | null): number[] {
  if (text === null) return [];
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? ids.filter((id): id is number => Number.isSafeInteger(id)) : [];
  } catch {
    return [];
  }
}

const toSummary = (r: SummaryRow): TraceSummary => ({
  // To the µs, as spans are sent: its row's end − start, in epoch ms, is off by up to ~0.2 µs (0.033935546875 for 0.034).
  traceId: r.trace_id, startTime: r.start_time, duration: toMicros(r.duration), name: r.name, route: r.route, method: r.method,
  statusCode: r.status_code, error: r.error === 1, spanCount: r.span_count, service: r.service,
});

const listed = (r: SummaryRow, query: TraceQuery): TraceSummary => (query.partRows ? { ...toSummary(r), rootKnown: r.root_known === 1 } as TraceSummary : toSummary(r));

/** A trace's row in one store, with what merging it with its rows in other shards needs. */
export interface TraceSummaryPart extends TraceSummary {
  /** The row holds the trace's root span. */
  rootKnown: boolean;
}

/** The rows of these traces this store holds (a trace spread over shards has a row in each). */
export function traceParts(sql: Sql, ids: readonly string[]): TraceSummaryPart[] {
  return rowsOf(sql, ids).map((row) => ({ ...toSummary(row), rootKnown: row.root_known === 1 }));
}

/** Rows of these traces, by id (a few bound parameters at a time). */
function rowsOf(sql: Sql, ids: readonly string[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (let at = 0; at < ids.length; at += 90) {
    const part = ids.slice(at, at + 90);
    rows.push(...sql.exec<SummaryRow>(`SELECT ${COLUMNS} FROM trace_summaries WHERE trace_id IN (${part.map(() => '?').join(', ')})`, ...part));
  }
  return rows;
}

/** Whether a trace's row is one the query lists: its window and filters (not its cursor). */
export function traceMatches(t: TraceSummary, query: Omit<TraceQuery, 'sort' | 'limit' | 'after'>): boolean {
  if (t.startTime < query.from || t.startTime >= query.to) return false;
  if (query.route !== undefined && t.route !== query.route) return false;
  // As the routes table names methods: PURGE or PROPFIND is OTHER there, and filtered as such (a review: no trace matched).
  if (query.method !== undefined && (t.method === null || methodKey(t.method) !== query.method)) return false;
  if (query.minDuration !== undefined && t.duration < query.minDuration) return false;
  if (query.errorsOnly && !t.error) return false;
  return true;
}

export function listTraces(sql: Sql, query: TraceQuery): Page<TraceSummary> & Warnings {
  const slowest = query.sort === 'slowest';
  const keyOf = (t: TraceSummary) => (slowest ? t.duration : t.startTime);
  const matches = (t: TraceSummary, rootKnown: boolean): boolean => {
    if (!traceMatches(t, query.partRows && !rootKnown ? { from: query.from, to: query.to } : query)) return false;
    if (query.after !== undefined) {
      const [key, id] = query.after;
      if (!(keyOf(t) < key || (keyOf(t) === key && typeof id === 'string' && t.traceId < id))) return false;
    }
    return true;
  };
  const order = (a: TraceSummary, b: TraceSummary) => keyOf(b) - keyOf(a) || (b.traceId < a.traceId ? -1 : b.traceId > a.traceId ? 1 : 0);
  const unreadable = new UnreadableRows();
  const found = new Map<string, TraceSummary>();
  const seen = new Set<string>();
  // The newest minutes first, from the cursor's on (a trace is indexed at its start); the most recent
  // stop once the page is full and no older minute can beat it.
  const to = !slowest && query.after ? Math.min(query.to, query.after[0]) : query.to;
  for (const minute of minutesOf(sql, 'traces', query.from, to, 'desc', unreadable)) {
    const ids = [...new Set(minute.map((entry) => entry.traceId))].filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    for (const row of rowsOf(sql, ids)) {
      const summary = listed(row, query);
      if (matches(summary, row.root_known === 1)) found.set(summary.traceId, summary);
    }
    if (!slowest && found.size > query.limit) {
      const kth = [...found.values()].sort(order)[query.limit]!;
      if (kth.startTime >= minute[0]!.time - (minute[0]!.time % 60_000)) break;
    }
  }
  const legacy = legacyTraces(sql, query, slowest ? 'duration' : 'start_time');
  const rows = [...found.values(), ...legacy].sort(order).slice(0, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  const next: CursorKey | null = rows.length > query.limit && last ? [keyOf(last), last.traceId] : null;
  return { items, nextCursor: next === null ? null : encodeCursor(next), ...unreadable.warnings() };
}

/** The first layout's rows of the query (limit + 1 of them), through its own indexes. */
function legacyTraces(sql: Sql, query: TraceQuery, key: 'duration' | 'start_time'): TraceSummary[] {
  const where = ['start_time >= ?', 'start_time < ?'];
  const params: SqlValue[] = [query.from, query.to];
  const part = query.partRows ? ' OR root_known = 0' : '';
  if (query.route !== undefined) where.push(`(route = ?${part})`), params.push(query.route);
  if (query.method === 'OTHER') where.push(`(method NOT IN (${STANDARD_METHODS.map(() => '?').join(', ')})${part})`), params.push(...STANDARD_METHODS);
  else if (query.method !== undefined) where.push(`(method = ?${part})`), params.push(query.method);
  if (query.minDuration !== undefined) where.push('duration >= ?'), params.push(query.minDuration);
  if (query.errorsOnly) where.push('error = 1');
  if (query.after !== undefined) where.push(`(${key} < ? OR (${key} = ? AND trace_id < ?))`), params.push(query.after[0], query.after[0], query.after[1]);
  return sql.exec<SummaryRow>(
    `SELECT ${COLUMNS} FROM traces WHERE ${where.join(' AND ')} ORDER BY ${key} DESC, trace_id DESC LIMIT ?`, ...params, query.limit + 1,
  ).toArray().map((row) => listed(row, query));
}

/**
 * Deletes the traces that started before `cutoff` (both layouts) and their index entries; returns
 * how many traces went. The index of the cutoff's own minute is kept (it also names later traces).
 */
export function deleteTracesBefore(sql: Sql, cutoff: number): number {
  let removed = sql.exec('DELETE FROM traces WHERE start_time < ?', cutoff).rowsWritten;
  const ids = new Set<string>();
  for (const minute of minutesOf(sql, 'traces', 0, cutoff, 'asc', new UnreadableRows())) for (const entry of minute) ids.add(entry.traceId);
  const list = [...ids];
  for (let at = 0; at < list.length; at += 90) {
    const part = list.slice(at, at + 90);
    removed += sql.exec(`DELETE FROM trace_summaries WHERE start_time < ? AND trace_id IN (${part.map(() => '?').join(', ')})`, cutoff, ...part).rowsWritten;
  }
  sql.exec(`DELETE FROM ${CHUNK_TABLES.traces} WHERE id < ?`, chunkBase(cutoff));
  return removed;
}

/** Traces stored, both layouts. */
export function traceCount(sql: Sql): number {
  return sql.exec<{ n: number }>('SELECT (SELECT COUNT(*) FROM traces) + (SELECT COUNT(*) FROM trace_summaries) AS n').one().n;
}
