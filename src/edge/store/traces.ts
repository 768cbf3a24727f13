// Spans, and one summary row per trace kept up to date as spans arrive: the trace list filters
// and sorts on it. Spans are stored in chunks (detail-chunks.ts) since migration 8, and the trace's
// row lists the chunks holding its spans; spans of the first layout's table are read until they expire.
import type { Span, TagValue } from '../../core/wire-format.ts';
import { encodeCursor, type CursorKey } from './cursor.ts';
import { chunksById, writeChunks, type StoredEntry } from './detail-chunks.ts';
import type { Page } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';
import { UnreadableRows, type Warnings } from './unreadable.ts';

export interface SpanRecord extends Span {
  service: string;
  instance: string;
}

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
  minDuration?: number;
  errorsOnly?: boolean;
  /** recent: newest first; slowest: longest first. */
  sort: 'recent' | 'slowest';
  limit: number;
  after?: CursorKey;
}

const UPSERT_TRACE = `INSERT INTO traces (trace_id, start_time, end_time, duration, name, route, method, status_code, error,
  span_count, root_known, service, chunks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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

const text = (value: TagValue | undefined): string | null => (typeof value === 'string' ? value : null);
const code = (value: TagValue | undefined): number | null => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : null;
};

/** A span and the service and instance that sent it. */
export interface SpanEntry {
  record: Span;
  service: string;
  instance: string;
}

/**
 * Stores spans (a span already stored is ignored) and folds the new ones into their traces' rows.
 * `admitRoute` passes the trace's route through the cardinality guard. Returns the spans stored.
 */
export function insertSpans(sql: Sql, spans: Span[], origin: { service: string; instance: string }, admitRoute: (route: string) => string): number {
  return insertSpanGroups(sql, [spans.map((record) => ({ record, ...origin }))], admitRoute);
}

/**
 * insertSpans for several batches at once (a fold): their spans go into one set of chunks, and
 * each trace's row is updated batch by batch in the order given, as if each had come alone.
 */
export function insertSpanGroups(sql: Sql, groups: ReadonlyArray<readonly SpanEntry[]>, admitRoute: (route: string) => string): number {
  // Keep the spans not stored yet: a known trace's stored span ids come from its chunks and old rows.
  const known = new Map<string, { chunks: number[]; seen: Set<string> }>();
  const kept = groups.map((group) => group.filter((entry) => {
    const traceId = entry.record.traceId;
    let trace = known.get(traceId);
    if (trace === undefined) {
      const row = sql.exec<{ chunks: string | null }>('SELECT chunks FROM traces WHERE trace_id = ?', traceId).toArray()[0];
      const chunks = row ? chunkIdsOf(row.chunks) : [];
      trace = { chunks, seen: new Set(row ? storedSpanIds(sql, traceId, chunks) : []) };
      known.set(traceId, trace);
    }
    if (trace.seen.has(entry.record.spanId)) return false;
    trace.seen.add(entry.record.spanId);
    return true;
  }));
  const all = kept.flat();
  const chunkIds = writeChunks(sql, 'spans', all);
  all.forEach((entry, i) => known.get(entry.record.traceId)!.chunks.push(chunkIds[i]!));
  for (const group of kept) {
    const byTrace = new Map<string, SpanEntry[]>();
    for (const entry of group) {
      const list = byTrace.get(entry.record.traceId);
      if (list) list.push(entry);
      else byTrace.set(entry.record.traceId, [entry]);
    }
    for (const [traceId, entries] of byTrace) upsertTrace(sql, traceId, entries, known.get(traceId)!.chunks, admitRoute);
  }
  return all.length;
}

/** Folds one batch's new spans of a trace into its row. */
function upsertTrace(sql: Sql, traceId: string, entries: readonly SpanEntry[], chunks: readonly number[], admitRoute: (route: string) => string): void {
  const list = entries.map((entry) => entry.record);
  const root = list.find((s) => s.parentSpanId === undefined);
  const head = root ?? earliest(list.filter((s) => s.kind === 'server')) ?? earliest(list)!;
  const service = entries.find((entry) => entry.record === head)!.service;
  const start = Math.min(...list.map((s) => s.startTime));
  const end = Math.max(...list.map((s) => s.startTime + s.duration));
  const route = text(head.tags['http.route']);
  sql.exec(UPSERT_TRACE, traceId, start, end, end - start, head.name, route === null ? null : admitRoute(route),
    text(head.tags['http.method'] ?? head.tags['http.request.method']),
    code(head.tags['http.status_code'] ?? head.tags['http.response.status_code']),
    list.some((s) => s.status === 'error') ? 1 : 0, list.length, root ? 1 : 0, service,
    JSON.stringify([...new Set(chunks)]));
}

/** The chunk ids a trace's row lists (none for a trace of the first layout, or a damaged list). */
function chunkIdsOf(text: string | null): number[] {
  if (text === null) return [];
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? ids.filter((id): id is number => Number.isSafeInteger(id)) : [];
  } catch {
    return [];
  }
}

function storedSpanIds(sql: Sql, traceId: string, chunks: readonly number[]): string[] {
  const old = sql.exec<{ span_id: string }>('SELECT span_id FROM spans WHERE trace_id = ?', traceId).toArray().map((r) => r.span_id);
  const chunked = chunksById(sql, 'spans', chunks, new UnreadableRows()).filter((e) => e.record.traceId === traceId).map((e) => e.record.spanId);
  return [...old, ...chunked];
}

function earliest(spans: Span[]): Span | undefined {
  let best: Span | undefined;
  for (const span of spans) if (best === undefined || span.startTime < best.startTime) best = span;
  return best;
}

interface TraceRow extends Record<string, SqlValue> {
  trace_id: string; start_time: number; duration: number; name: string; route: string | null; method: string | null;
  status_code: number | null; error: number; span_count: number; service: string;
}

export function listTraces(sql: Sql, query: TraceQuery): Page<TraceSummary> {
  const key = query.sort === 'slowest' ? 'duration' : 'start_time';
  const where = ['start_time >= ?', 'start_time < ?'];
  const params: SqlValue[] = [query.from, query.to];
  if (query.route !== undefined) where.push('route = ?'), params.push(query.route);
  if (query.minDuration !== undefined) where.push('duration >= ?'), params.push(query.minDuration);
  if (query.errorsOnly) where.push('error = 1');
  if (query.after !== undefined) where.push(`(${key} < ? OR (${key} = ? AND trace_id < ?))`), params.push(query.after[0], query.after[0], query.after[1]);
  const rows = sql.exec<TraceRow>(
    `SELECT * FROM traces WHERE ${where.join(' AND ')} ORDER BY ${key} DESC, trace_id DESC LIMIT ?`, ...params, query.limit + 1,
  ).toArray();
  const items = rows.slice(0, query.limit).map((r): TraceSummary => ({
    traceId: r.trace_id, startTime: r.start_time, duration: r.duration, name: r.name, route: r.route, method: r.method,
    statusCode: r.status_code, error: r.error === 1, spanCount: r.span_count, service: r.service,
  }));
  const last = items[items.length - 1];
  const next: CursorKey | null = rows.length > query.limit && last ? [query.sort === 'slowest' ? last.duration : last.startTime, last.traceId] : null;
  return { items, nextCursor: next === null ? null : encodeCursor(next) };
}

export interface SpanRow extends Record<string, SqlValue> {
  id: number; trace_id: string; span_id: string; parent_span_id: string | null; name: string; kind: string; start_time: number;
  duration: number; status: string; error: string | null; tags: string; logs: string; service: string; instance: string;
}

/** A stored span back in wire shape, or what is wrong with it (tags or logs that are not the JSON they were stored as). */
export function toSpanRecord(row: SpanRow): SpanRecord | string {
  const tags = parseJson(row.tags);
  const logs = parseJson(row.logs);
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return 'tags: expected a JSON object';
  if (!Array.isArray(logs) || !logs.every((log) => log !== null && typeof log === 'object' && !Array.isArray(log))) return 'logs: expected a JSON array of objects';
  const span: SpanRecord = {
    traceId: row.trace_id, spanId: row.span_id, name: row.name, kind: row.kind as Span['kind'], startTime: row.start_time,
    duration: row.duration, status: row.status as Span['status'], tags: tags as Span['tags'], logs: logs as Span['logs'],
    service: row.service, instance: row.instance,
  };
  if (row.parent_span_id !== null) span.parentSpanId = row.parent_span_id;
  if (row.error !== null) span.error = row.error;
  return span;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A span read from a chunk, in the shape of the API. */
export function chunkSpanRecord({ record, service, instance }: StoredEntry<'spans'>): SpanRecord {
  return { ...record, service, instance };
}

/** All spans of one trace by start time, or null when the trace is unknown. Spans that can't be decoded are left out and counted. */
export function getTrace(sql: Sql, traceId: string): ({ traceId: string; spans: SpanRecord[] } & Warnings) | null {
  const rows = sql.exec<SpanRow>('SELECT * FROM spans WHERE trace_id = ? ORDER BY start_time, id', traceId).toArray();
  const known = sql.exec<{ chunks: string | null }>('SELECT chunks FROM traces WHERE trace_id = ?', traceId).toArray()[0];
  const unreadable = new UnreadableRows();
  const chunked = known ? chunksById(sql, 'spans', chunkIdsOf(known.chunks), unreadable).filter((e) => e.record.traceId === traceId) : [];
  if (rows.length === 0 && chunked.length === 0) return known && unreadable.count > 0 ? { traceId, spans: [], ...unreadable.warnings() } : null;
  const spans: Array<{ span: SpanRecord; id: number }> = [];
  for (const row of rows) {
    const span = toSpanRecord(row);
    if (typeof span === 'string') unreadable.note('spans', row.id, span);
    else spans.push({ span, id: row.id });
  }
  for (const entry of chunked) spans.push({ span: chunkSpanRecord(entry), id: entry.id });
  spans.sort((a, b) => a.span.startTime - b.span.startTime || a.id - b.id);
  return { traceId, spans: spans.map((s) => s.span), ...unreadable.warnings() };
}
