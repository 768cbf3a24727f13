// Detail records (samples, spans, system profiles) stored as chunks: one row per kind, minute and
// write holding its records as JSON, where the first layout had a row and two index entries per
// record. Cloudflare bills and caps SQLite rows written, not bytes (a row may hold 2 MB): a batch's
// 50 samples cost one row instead of 150. Records are decoded as untrusted when read: a chunk or a
// record that no longer passes the wire format's checks is left out and counted (unreadable.ts).
// Row ids are time ordered without an index (chunk-ids.ts); every record of a chunk lies in its minute.
import { utf8Length } from '../../core/utf8-length.ts';
import { isValidRecord } from '../../core/validate-batch.ts';
import type { DetailSample, Span, SystemProfile } from '../../core/wire-format.ts';
import { LIMITS } from '../../core/wire-format.ts';
import { chunkBase, chunkMinute, CHUNKS_PER_MINUTE, recordId, RECORDS_PER_CHUNK } from './chunk-ids.ts';
import type { Sql } from './sql.ts';
import { UnreadableRows } from './unreadable.ts';

export type ChunkKind = 'samples' | 'spans' | 'profiles' | 'traces';

/** What a chunk holds per record: the record and where it came from. */
export interface ChunkEntries {
  samples: { instance: string; record: DetailSample };
  spans: { service: string; instance: string; record: Span };
  profiles: { instance: string; record: SystemProfile };
  /** The trace index: a trace whose summary changed, in the minute of its start then (trace-summaries.ts). */
  traces: { traceId: string; start: number };
}

export type Entry<K extends ChunkKind> = ChunkEntries[K];

/** A record read back, with its id and time. */
export type StoredEntry<K extends ChunkKind> = Entry<K> & { id: number; time: number };

/** Table names come from this closed list, never from data. */
export const CHUNK_TABLES: Record<ChunkKind, string> = { samples: 'sample_chunks', spans: 'span_chunks', profiles: 'profile_chunks', traces: 'trace_chunks' };

const MINUTE_MS = 60_000;

const timeOf: { [K in ChunkKind]: (entry: Entry<K>) => number } = {
  samples: (e) => e.record.timestamp,
  spans: (e) => e.record.startTime,
  profiles: (e) => e.record.timestamp,
  traces: (e) => e.start,
};

// Stored as arrays: [instance, sample], [service, instance, span], [instance, profile].
const encodeEntry: { [K in ChunkKind]: (entry: Entry<K>) => unknown[] } = {
  samples: (e) => [e.instance, e.record],
  spans: (e) => [e.service, e.instance, e.record],
  profiles: (e) => [e.instance, e.record],
  traces: (e) => [e.traceId, e.start],
};

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= LIMITS.nameLength;

const decodeEntry: { [K in ChunkKind]: (value: unknown) => Entry<K> | string } = {
  samples: (value) => {
    if (!Array.isArray(value) || value.length !== 2 || !isName(value[0])) return 'expected [instance, sample]';
    return isValidRecord.sample(value[1]) ? { instance: value[0], record: value[1] } : 'sample: not a valid detail record';
  },
  spans: (value) => {
    if (!Array.isArray(value) || value.length !== 3 || !isName(value[0]) || !isName(value[1])) return 'expected [service, instance, span]';
    return isValidRecord.span(value[2]) ? { service: value[0], instance: value[1], record: value[2] } : 'span: not a valid span';
  },
  profiles: (value) => {
    if (!Array.isArray(value) || value.length !== 2 || !isName(value[0])) return 'expected [instance, profile]';
    return isValidRecord.profile(value[1]) ? { instance: value[0], record: value[1] } : 'profile: not a valid system profile';
  },
  traces: (value) => {
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !/^[0-9a-f]{32}$/.test(value[0])) return 'expected [trace id, start]';
    return typeof value[1] === 'number' && Number.isFinite(value[1]) ? { traceId: value[0], start: value[1] } : 'start: expected a time';
  },
};

interface ChunkRow extends Record<string, number | string | ArrayBuffer | null> {
  id: number;
  first: number;
  last: number;
  records: number;
  body: string;
}

/**
 * A chunk's body at most, in UTF-8 bytes: a SQLite row holds 2 MB, and a chunk of 2,048 large
 * spans would pass it (the write fails, the batch with it). A record alone may be larger (a span
 * is at most LIMITS.spanLength characters, ≤ 1.5 MiB): it gets a chunk of its own.
 */
export const CHUNK_BYTES = 1_048_576;


/**
 * Writes entries as chunks, one per minute they fall in (split past RECORDS_PER_CHUNK records or
 * CHUNK_BYTES); returns the id of the chunk each entry went to, in the order given.
 */
export function writeChunks<K extends ChunkKind>(sql: Sql, kind: K, entries: ReadonlyArray<Entry<K>>): number[] {
  const table = CHUNK_TABLES[kind];
  const byMinute = new Map<number, number[]>();
  entries.forEach((entry, i) => {
    const base = chunkBase(timeOf[kind](entry));
    const list = byMinute.get(base);
    if (list) list.push(i);
    else byMinute.set(base, [i]);
  });
  const ids = new Array<number>(entries.length);
  for (const [base, indexes] of byMinute) {
    const max = sql.exec<{ id: number | null }>(`SELECT MAX(id) AS id FROM ${table} WHERE id >= ? AND id < ?`, base, base + CHUNKS_PER_MINUTE).one().id;
    let next = max === null ? base : max + 1;
    let part: number[] = [];
    let parts: string[] = [];
    let bytes = 0;
    const flush = () => {
      if (next >= base + CHUNKS_PER_MINUTE) throw new Error(`${table}: more than ${CHUNKS_PER_MINUTE} chunks in one minute`);
      insertChunk(sql, kind, next, part.map((i) => timeOf[kind](entries[i]!)), parts);
      for (const i of part) ids[i] = next;
      next++;
      part = [];
      parts = [];
      bytes = 0;
    };
    for (const i of indexes) {
      const json = JSON.stringify(encodeEntry[kind](entries[i]!));
      const length = utf8Length(json) + 1; // and its comma
      if (part.length === RECORDS_PER_CHUNK || (part.length > 0 && bytes + length > CHUNK_BYTES)) flush();
      part.push(i);
      parts.push(json);
      bytes += length;
    }
    if (part.length > 0) flush();
  }
  return ids;
}

/** The earliest and latest of a chunk's times: a loop, as a chunk may hold more than a call's arguments. */
function timeRange(times: Iterable<number>): { first: number; last: number } {
  let first = Infinity;
  let last = -Infinity;
  for (const time of times) {
    first = Math.min(first, time);
    last = Math.max(last, time);
  }
  return { first, last };
}

function insertChunk(sql: Sql, kind: ChunkKind, id: number, times: readonly number[], records: readonly string[]): void {
  const { first, last } = timeRange(times);
  sql.exec(`INSERT INTO ${CHUNK_TABLES[kind]} (id, first, last, records, body) VALUES (?, ?, ?, ?, ?)`, id, first, last, records.length, `[${records.join(',')}]`);
}

/** A chunk's entries with their ids, or what is wrong with the chunk. Entries that fail their checks are noted and left out. */
function decodeChunk<K extends ChunkKind>(kind: K, row: ChunkRow, unreadable: UnreadableRows): Array<StoredEntry<K>> {
  const table = CHUNK_TABLES[kind];
  let parsed: unknown;
  try {
    parsed = typeof row.body === 'string' ? JSON.parse(row.body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length > RECORDS_PER_CHUNK) {
    unreadable.note(table, row.id, `expected a JSON array of at most ${RECORDS_PER_CHUNK} records`);
    return [];
  }
  const minute = chunkMinute(row.id);
  const out: Array<StoredEntry<K>> = [];
  parsed.forEach((value, index) => {
    const entry = decodeEntry[kind](value);
    const id = recordId(row.id, index);
    if (typeof entry === 'string') return unreadable.note(table, id, entry);
    const time = timeOf[kind](entry as Entry<K>);
    // A record outside its chunk's minute would break the time order every read relies on.
    if (time < minute || time >= minute + MINUTE_MS) return unreadable.note(table, id, 'time outside its chunk\'s minute');
    out.push({ ...(entry as Entry<K>), id, time });
  });
  return out;
}

export type Order = 'asc' | 'desc';

const byTime = (order: Order) => (a: { time: number; id: number }, b: { time: number; id: number }) =>
  order === 'asc' ? a.time - b.time || a.id - b.id : b.time - a.time || b.id - a.id;

/**
 * The records with time in [from, to], one minute at a time in `order`, each minute's records
 * sorted by (time, id) in that order. A reader stops pulling once it has what it needs: later
 * minutes are not read.
 */
export function* minutesOf<K extends ChunkKind>(
  sql: Sql, kind: K, from: number, to: number, order: Order, unreadable: UnreadableRows,
): Generator<Array<StoredEntry<K>>> {
  if (!(from <= to)) return;
  const cursor = sql.exec<ChunkRow>(
    `SELECT id, first, last, records, body FROM ${CHUNK_TABLES[kind]} WHERE id >= ? AND id < ? AND last >= ? AND first <= ? ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'}`,
    chunkBase(from), chunkBase(to) + CHUNKS_PER_MINUTE, from, to,
  );
  let minute: number | null = null;
  let group: Array<StoredEntry<K>> = [];
  for (const row of cursor) {
    const rowMinute = chunkMinute(row.id);
    if (rowMinute !== minute && group.length > 0) {
      yield group.sort(byTime(order));
      group = [];
    }
    minute = rowMinute;
    for (const entry of decodeChunk(kind, row, unreadable)) if (entry.time >= from && entry.time <= to) group.push(entry);
  }
  if (group.length > 0) yield group.sort(byTime(order));
}

/**
 * The first `limit` records in `order` that `keep` accepts, with time in [from, to]. Chunks are
 * decoded in the order of their latest (or, ascending, earliest) record, and only until none left
 * could hold a record before the `limit`-th found: a page of the newest samples reads a few chunks.
 */
export function firstRecords<K extends ChunkKind>(
  sql: Sql, kind: K, range: { from: number; to: number; order: Order; limit: number }, keep: (entry: StoredEntry<K>) => boolean, unreadable: UnreadableRows,
): Array<StoredEntry<K>> {
  const { from, to, order, limit } = range;
  if (!(from <= to) || limit <= 0) return [];
  const desc = order === 'desc';
  const headers = sql.exec<{ id: number; first: number; last: number }>(
    `SELECT id, first, last FROM ${CHUNK_TABLES[kind]} WHERE id >= ? AND id < ? AND last >= ? AND first <= ?`,
    chunkBase(from), chunkBase(to) + CHUNKS_PER_MINUTE, from, to,
  ).toArray();
  // The chunk that may hold the next record first: newest last (descending) or oldest first (ascending).
  headers.sort(desc ? (a, b) => b.last - a.last || b.id - a.id : (a, b) => a.first - b.first || a.id - b.id);
  const compare = byTime(order);
  let found: Array<StoredEntry<K>> = [];
  for (const header of headers) {
    const kth = found.length >= limit ? found[limit - 1]! : undefined;
    // Every record of this chunk (and of the chunks after it) comes after the limit-th found.
    if (kth !== undefined && (desc ? kth.time > header.last : kth.time < header.first)) break;
    for (const row of sql.exec<ChunkRow>(`SELECT id, first, last, records, body FROM ${CHUNK_TABLES[kind]} WHERE id = ?`, header.id)) {
      for (const entry of decodeChunk(kind, row, unreadable)) if (entry.time >= from && entry.time <= to && keep(entry)) found.push(entry);
    }
    if (found.length > limit) found = found.sort(compare).slice(0, limit);
    else found.sort(compare);
  }
  return found.slice(0, limit);
}

/** The entries of some chunks by id (a trace's), decoded; ids that no longer exist are skipped. */
export function chunksById<K extends ChunkKind>(sql: Sql, kind: K, ids: readonly number[], unreadable: UnreadableRows): Array<StoredEntry<K>> {
  const out: Array<StoredEntry<K>> = [];
  for (const id of new Set(ids)) {
    for (const row of sql.exec<ChunkRow>(`SELECT id, first, last, records, body FROM ${CHUNK_TABLES[kind]} WHERE id = ?`, id)) {
      out.push(...decodeChunk(kind, row, unreadable));
    }
  }
  return out;
}

/** Records stored in chunks of this kind. */
export function chunkRecordCount(sql: Sql, kind: ChunkKind): number {
  return sql.exec<{ n: number }>(`SELECT COALESCE(SUM(records), 0) AS n FROM ${CHUNK_TABLES[kind]}`).one().n;
}

/** The earliest record time in chunks of this kind, or null. */
export function oldestChunkTime(sql: Sql, kind: ChunkKind): number | null {
  const row = sql.exec<{ id: number | null }>(`SELECT MIN(id) AS id FROM ${CHUNK_TABLES[kind]}`).one();
  if (row.id === null) return null;
  return sql.exec<{ first: number }>(`SELECT MIN(first) AS first FROM ${CHUNK_TABLES[kind]} WHERE id >= ? AND id < ?`,
    chunkBase(chunkMinute(row.id)), chunkBase(chunkMinute(row.id)) + CHUNKS_PER_MINUTE).one().first;
}

/** Removes the records older than `cutoff`; returns how many went. */
export function deleteChunksBefore(sql: Sql, kind: ChunkKind, cutoff: number): number {
  const table = CHUNK_TABLES[kind];
  const base = chunkBase(cutoff);
  // Whole minutes before the cutoff's go as rows; its own minute is trimmed record by record.
  const whole = sql.exec<{ n: number }>(`SELECT COALESCE(SUM(records), 0) AS n FROM ${table} WHERE id < ?`, base).one().n;
  if (whole > 0) sql.exec(`DELETE FROM ${table} WHERE id < ?`, base);
  return whole + trimMinute(sql, kind, base, (entry) => entry.time >= cutoff);
}

/** Removes the oldest `count` records (by time, then id); returns how many went. */
export function deleteOldestRecords(sql: Sql, kind: ChunkKind, count: number): number {
  const table = CHUNK_TABLES[kind];
  let removed = 0;
  while (removed < count) {
    const first = sql.exec<{ id: number | null }>(`SELECT MIN(id) AS id FROM ${table}`).one().id;
    if (first === null) break;
    const base = chunkBase(chunkMinute(first));
    const inMinute = sql.exec<{ n: number }>(`SELECT COALESCE(SUM(records), 0) AS n FROM ${table} WHERE id >= ? AND id < ?`, base, base + CHUNKS_PER_MINUTE).one().n;
    if (inMinute <= count - removed) {
      sql.exec(`DELETE FROM ${table} WHERE id >= ? AND id < ?`, base, base + CHUNKS_PER_MINUTE);
      removed += inMinute;
      continue;
    }
    // Part of this minute: drop its oldest records and keep the rest in their chunks.
    const entries = minuteRows(sql, kind, base).flatMap((row) => decodeChunk(kind, row, new UnreadableRows())).sort(byTime('asc'));
    const drop = new Set(entries.slice(0, count - removed).map((e) => e.id));
    removed += trimMinute(sql, kind, base, (entry) => !drop.has(entry.id));
    break;
  }
  return removed;
}

/** The chunk rows of the minute starting at chunk id `base`. */
function minuteRows(sql: Sql, kind: ChunkKind, base: number): ChunkRow[] {
  return sql.exec<ChunkRow>(`SELECT id, first, last, records, body FROM ${CHUNK_TABLES[kind]} WHERE id >= ? AND id < ?`, base, base + CHUNKS_PER_MINUTE).toArray();
}

/** Rewrites the chunks of one minute with only the records `keep` accepts (a chunk left empty goes); returns the records removed. */
function trimMinute<K extends ChunkKind>(sql: Sql, kind: K, base: number, keep: (entry: StoredEntry<K>) => boolean): number {
  const table = CHUNK_TABLES[kind];
  let removed = 0;
  for (const row of minuteRows(sql, kind, base)) {
    // Unreadable records go with the trim: nothing could show them.
    const entries = decodeChunk(kind, row, new UnreadableRows());
    const kept = entries.filter(keep);
    if (kept.length === row.records && kept.length === entries.length) continue;
    removed += row.records - kept.length;
    if (kept.length === 0) {
      sql.exec(`DELETE FROM ${table} WHERE id = ?`, row.id);
      continue;
    }
    // Positions change, so do record ids past the first removed one: only a trim at the old end does this.
    const { first, last } = timeRange(kept.map((e) => e.time));
    sql.exec(`UPDATE ${table} SET first = ?, last = ?, records = ?, body = ? WHERE id = ?`,
      first, last, kept.length, JSON.stringify(kept.map((e) => encodeEntry[kind](e))), row.id);
  }
  return removed;
}

/** An export page stops once its chunks' bodies reach this many characters: a page crosses an RPC, which holds 32 MiB. */
export const PAGE_LENGTH = 4 * 1024 * 1024;

/**
 * One page of an export: whole chunks with id > `after` and records in [from, to), at least `limit`
 * records or PAGE_LENGTH characters of chunks unless it is the last.
 */
export function chunkPage<K extends ChunkKind>(
  sql: Sql, kind: K, from: number, to: number, after: number, limit: number, unreadable: UnreadableRows,
): { entries: Array<StoredEntry<K>>; nextAfter: number | null } {
  if (!(from < to)) return { entries: [], nextAfter: null };
  const cursor = sql.exec<ChunkRow>(
    `SELECT id, first, last, records, body FROM ${CHUNK_TABLES[kind]} WHERE id > ? AND id >= ? AND id < ? AND last >= ? AND first < ? ORDER BY id`,
    after, chunkBase(from), chunkBase(to) + CHUNKS_PER_MINUTE, from, to,
  );
  const entries: Array<StoredEntry<K>> = [];
  let length = 0;
  for (const row of cursor) {
    for (const entry of decodeChunk(kind, row, unreadable)) if (entry.time >= from && entry.time < to) entries.push(entry);
    length += typeof row.body === 'string' ? row.body.length : 0;
    if (entries.length >= limit || length >= PAGE_LENGTH) return { entries, nextAfter: row.id };
  }
  return { entries, nextAfter: null };
}
