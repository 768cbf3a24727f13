// Spans: stored in chunks (detail-chunks.ts) since migration 8, each trace's summary row (trace-
// summaries.ts) listing the chunks holding its spans; spans of the first layout's table are read
// until they expire. One trace's spans, whole, by id.
import type { Span, TagValue } from '../../core/wire-format.ts';
import { chunkBase } from './chunk-ids.ts';
import { chunksById, writeChunks, type StoredEntry } from './detail-chunks.ts';
import type { Sql, SqlValue } from './sql.ts';
import { chunkIdsOf, knownTrace, TraceWriter } from './trace-summaries.ts';
import { UnreadableRows, type Warnings } from './unreadable.ts';

export { listTraces, type TraceQuery, type TraceSummary } from './trace-summaries.ts';

export interface SpanRecord extends Span {
  service: string;
  instance: string;
}

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
 * A trace keeps at most this many spans, written by at most this many chunks: past either its new
 * spans are not stored. Each write reads back the spans its traces hold already (to store a span
 * once), and a read returns the trace whole, so neither may grow without bound.
 */
export const MAX_TRACE_SPANS = 2_000;
export const MAX_TRACE_CHUNKS = 64;
/** A trace read returns its spans, by start, up to this many characters of JSON (an RPC result is at most 32 MiB). */
export const TRACE_READ_LENGTH = 4 * 1024 * 1024;

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
  const known = new Map<string, { chunks: number[]; seen: Set<string>; start: number | null; minutes: Set<number> }>();
  const kept = groups.map((group) => group.filter((entry) => {
    const traceId = entry.record.traceId;
    let trace = known.get(traceId);
    if (trace === undefined) {
      const row = knownTrace(sql, traceId);
      trace = { chunks: row?.chunks ?? [], seen: new Set(row ? storedSpanIds(sql, traceId, row.chunks) : []), start: row?.start ?? null, minutes: new Set() };
      known.set(traceId, trace);
    }
    if (trace.seen.has(entry.record.spanId)) return false;
    // A write puts a trace's new spans in a chunk per minute (more only past a chunk's size).
    const minute = chunkBase(entry.record.startTime);
    const chunks = trace.chunks.length + trace.minutes.size + (trace.minutes.has(minute) ? 0 : 1);
    if (trace.seen.size >= MAX_TRACE_SPANS || chunks > MAX_TRACE_CHUNKS) return false;
    trace.seen.add(entry.record.spanId);
    trace.minutes.add(minute);
    return true;
  }));
  const all = kept.flat();
  const chunkIds = writeChunks(sql, 'spans', all);
  all.forEach((entry, i) => known.get(entry.record.traceId)!.chunks.push(chunkIds[i]!));
  const writer = new TraceWriter(sql);
  for (const group of kept) {
    const byTrace = new Map<string, SpanEntry[]>();
    for (const entry of group) {
      const list = byTrace.get(entry.record.traceId);
      if (list) list.push(entry);
      else byTrace.set(entry.record.traceId, [entry]);
    }
    for (const [traceId, entries] of byTrace) {
      const trace = known.get(traceId)!;
      writer.merge(traceId, partOf(entries, admitRoute), trace.chunks, trace.start);
    }
  }
  writer.index();
  return all.length;
}

/** The span a trace's row is named by: its root, else its earliest server span, else its earliest span. */
export function headOf(list: readonly Span[]): Span {
  return list.find((s) => s.parentSpanId === undefined) ?? earliest(list.filter((s) => s.kind === 'server')) ?? earliest([...list])!;
}

/** One batch's new spans of a trace, summed up for its row. */
function partOf(entries: readonly SpanEntry[], admitRoute: (route: string) => string) {
  const list = entries.map((entry) => entry.record);
  const root = list.find((s) => s.parentSpanId === undefined);
  const head = headOf(list);
  const route = text(head.tags['http.route']);
  return {
    start: Math.min(...list.map((s) => s.startTime)),
    end: Math.max(...list.map((s) => s.startTime + s.duration)),
    name: head.name,
    route: route === null ? null : admitRoute(route),
    method: text(head.tags['http.method'] ?? head.tags['http.request.method']),
    statusCode: code(head.tags['http.status_code'] ?? head.tags['http.response.status_code']),
    error: list.some((s) => s.status === 'error'),
    spans: list.length,
    rootKnown: root !== undefined,
    service: entries.find((entry) => entry.record === head)!.service,
  };
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
  const rows = sql.exec<SpanRow>('SELECT * FROM spans WHERE trace_id = ? ORDER BY start_time, id LIMIT ?', traceId, MAX_TRACE_SPANS).toArray();
  const known = sql.exec<{ chunks: string }>('SELECT chunks FROM trace_summaries WHERE trace_id = ?', traceId).toArray()[0];
  const unreadable = new UnreadableRows();
  const chunkIds = known ? chunkIdsOf(known.chunks).slice(0, MAX_TRACE_CHUNKS) : [];
  const chunked = chunksById(sql, 'spans', chunkIds, unreadable).filter((e) => e.record.traceId === traceId);
  if (rows.length === 0 && chunked.length === 0) return known && unreadable.count > 0 ? { traceId, spans: [], ...unreadable.warnings() } : null;
  const spans: Array<{ span: SpanRecord; id: number }> = [];
  for (const row of rows) {
    const span = toSpanRecord(row);
    if (typeof span === 'string') unreadable.note('spans', row.id, span);
    else spans.push({ span, id: row.id });
  }
  for (const entry of chunked) spans.push({ span: chunkSpanRecord(entry), id: entry.id });
  spans.sort((a, b) => a.span.startTime - b.span.startTime || a.id - b.id);
  const warnings = unreadable.warnings().warnings ?? [];
  if (spans.length >= MAX_TRACE_SPANS || chunkIds.length >= MAX_TRACE_CHUNKS) {
    warnings.push(`this trace reached the limit of ${MAX_TRACE_SPANS} spans or ${MAX_TRACE_CHUNKS} writes a trace: spans sent after that were not stored`);
  }
  let length = 0;
  let shown = 0;
  for (; shown < spans.length; shown++) {
    length += JSON.stringify(spans[shown]!.span).length;
    if (length > TRACE_READ_LENGTH && shown > 0) break;
  }
  if (shown < spans.length) warnings.push(`showing the first ${shown} of ${spans.length} spans by start: one read returns at most ${TRACE_READ_LENGTH} characters of spans`);
  return { traceId, spans: spans.slice(0, shown).map((s) => s.span), ...(warnings.length > 0 && { warnings }) };
}
