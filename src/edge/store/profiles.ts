// System profiles of each instance, listed oldest first (the order a chart wants): in chunks
// (detail-chunks.ts) since migration 8, and in the first layout's table until those rows expire.
import type { SystemProfile } from '../../core/wire-format.ts';
import { encodeCursor, type CursorKey } from './cursor.ts';
import { firstRecords, minutesOf, type StoredEntry } from './detail-chunks.ts';
import type { Page } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';
import { UnreadableRows, type Warnings } from './unreadable.ts';

export interface ProfileRecord extends SystemProfile {
  id: number;
  instance: string;
}

export interface ProfileQuery {
  from: number;
  to: number;
  instance?: string;
  limit: number;
  after?: CursorKey;
}

export interface ProfileRow extends Record<string, SqlValue> {
  id: number; timestamp: number; instance: string; rss: number; heap_used: number; heap_total: number;
  cpu_percent: number; event_loop_lag_ms: number; in_flight: number;
}

export function toProfileRecord(r: ProfileRow): ProfileRecord {
  return {
    id: r.id, instance: r.instance, timestamp: r.timestamp, rss: r.rss, heapUsed: r.heap_used, heapTotal: r.heap_total,
    cpuPercent: r.cpu_percent, eventLoopLagMs: r.event_loop_lag_ms, inFlight: r.in_flight,
  };
}

export function listProfiles(sql: Sql, query: ProfileQuery): Page<ProfileRecord> & Warnings {
  const where = ['timestamp >= ?', 'timestamp < ?'];
  const params: SqlValue[] = [query.from, query.to];
  if (query.instance !== undefined) where.push('instance = ?'), params.push(query.instance);
  if (query.after !== undefined) where.push('(timestamp > ? OR (timestamp = ? AND id > ?))'), params.push(query.after[0], query.after[0], query.after[1]);
  const legacy = sql.exec<ProfileRow>(
    `SELECT * FROM profiles WHERE ${where.join(' AND ')} ORDER BY timestamp, id LIMIT ?`, ...params, query.limit + 1,
  ).toArray().map(toProfileRecord);
  const unreadable = new UnreadableRows();
  const chunked = firstRecords(sql, 'profiles', { from: Math.max(query.from, query.after?.[0] ?? -Infinity), to: query.to, order: 'asc', limit: query.limit + 1 },
    (entry) => profileMatches(entry, query), unreadable).map(chunkProfileRecord);
  const rows = [...legacy, ...chunked].sort((a, b) => a.timestamp - b.timestamp || a.id - b.id).slice(0, query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.timestamp, last.id]) : null, ...unreadable.warnings() };
}

function profileMatches({ record: p, id, instance }: StoredEntry<'profiles'>, query: ProfileQuery): boolean {
  if (p.timestamp < query.from || p.timestamp >= query.to) return false;
  if (query.instance !== undefined && instance !== query.instance) return false;
  if (query.after !== undefined) {
    const [time, afterId] = query.after;
    if (!(p.timestamp > time || (p.timestamp === time && typeof afterId === 'number' && id > afterId))) return false;
  }
  return true;
}

export function chunkProfileRecord({ id, instance, record }: StoredEntry<'profiles'>): ProfileRecord {
  return { id, instance, ...record };
}

/** Every profile with timestamp in [from, to] (both layouts), oldest first: what alert rules on gauges read. */
export function profilesBetween(sql: Sql, from: number, to: number): ProfileRecord[] {
  const legacy = sql.exec<ProfileRow>('SELECT * FROM profiles WHERE timestamp >= ? AND timestamp <= ? ORDER BY timestamp, id', from, to).toArray().map(toProfileRecord);
  const chunked = [...minutesOf(sql, 'profiles', from, to, 'asc', new UnreadableRows())].flat().map(chunkProfileRecord);
  return legacy.length === 0 ? chunked : [...legacy, ...chunked].sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
}
