// System profiles of each instance, listed oldest first (the order a chart wants).
import type { SystemProfile } from '../../core/wire-format.ts';
import { encodeCursor, type CursorKey } from './cursor.ts';
import type { Page } from './samples.ts';
import type { Sql, SqlValue } from './sql.ts';

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

export function insertProfile(sql: Sql, profile: SystemProfile, instance: string): void {
  sql.exec(`INSERT INTO profiles (timestamp, instance, rss, heap_used, heap_total, cpu_percent, event_loop_lag_ms, in_flight)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  profile.timestamp, instance, profile.rss, profile.heapUsed, profile.heapTotal, profile.cpuPercent, profile.eventLoopLagMs, profile.inFlight);
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

export function listProfiles(sql: Sql, query: ProfileQuery): Page<ProfileRecord> {
  const where = ['timestamp >= ?', 'timestamp < ?'];
  const params: SqlValue[] = [query.from, query.to];
  if (query.instance !== undefined) where.push('instance = ?'), params.push(query.instance);
  if (query.after !== undefined) where.push('(timestamp > ? OR (timestamp = ? AND id > ?))'), params.push(query.after[0], query.after[0], query.after[1]);
  const rows = sql.exec<ProfileRow>(
    `SELECT * FROM profiles WHERE ${where.join(' AND ')} ORDER BY timestamp, id LIMIT ?`, ...params, query.limit + 1,
  ).toArray();
  const items = rows.slice(0, query.limit).map(toProfileRecord);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.timestamp, last.id]) : null };
}
