// The usage_daily table (migration 5): counts added per UTC day and instance ('' is the app's own
// row: reads, cron visits, alarms, rows and storage), read back per day and per instance.
import { zeroCounts, type InstanceUsage, type UsageCounts, type UsageDay } from '../../core/usage/usage.ts';
import type { Sql } from '../store/sql.ts';

/** The app's own row (instance ids are never empty). */
export const APP_ROW = '';

const COLUMNS: Record<keyof UsageCounts, string> = {
  ingestRequests: 'ingest_requests',
  reads: 'reads',
  ticks: 'ticks',
  alarms: 'alarms',
  rowsRead: 'rows_read',
  rowsWritten: 'rows_written',
  ingestBytes: 'ingest_bytes',
  events: 'events',
};
const KEYS = Object.keys(COLUMNS) as Array<keyof UsageCounts>;
const NAMES = KEYS.map((key) => COLUMNS[key]);

const UPSERT = `INSERT INTO usage_daily (day, instance, ${NAMES.join(', ')}, stored_bytes)
  VALUES (?, ?, ${NAMES.map(() => '?').join(', ')}, ?)
  ON CONFLICT (day, instance) DO UPDATE SET ${NAMES.map((name) => `${name} = ${name} + excluded.${name}`).join(', ')},
    stored_bytes = MAX(stored_bytes, excluded.stored_bytes)`;

/** Adds `counts` to the row of (day, instance); `storedBytes` keeps the day's largest. */
export function addUsage(sql: Sql, day: number, instance: string, counts: UsageCounts, storedBytes: number): void {
  sql.exec(UPSERT, day, instance, ...KEYS.map((key) => counts[key]), storedBytes);
}

type DayRow = Record<string, number>;

function countsOf(row: DayRow): UsageCounts {
  const counts = zeroCounts();
  for (const key of KEYS) counts[key] = Number(row[COLUMNS[key]] ?? 0);
  return counts;
}

/** The app's totals per day from `fromDay` on, newest first. */
export function readDays(sql: Sql, fromDay: number): UsageDay[] {
  const rows = sql.exec<DayRow>(
    `SELECT day, ${NAMES.map((name) => `SUM(${name}) AS ${name}`).join(', ')}, MAX(stored_bytes) AS stored_bytes
     FROM usage_daily WHERE day >= ? GROUP BY day ORDER BY day DESC`,
    fromDay,
  ).toArray();
  return rows.map((row) => ({ day: row.day!, ...countsOf(row), storedBytes: row.stored_bytes ?? 0 }));
}

/** Each instance's counts of one day. */
export function readInstances(sql: Sql, day: number): InstanceUsage[] {
  return sql.exec<DayRow & { instance: string }>(
    'SELECT instance, ingest_requests, rows_written, ingest_bytes, events FROM usage_daily WHERE day = ? AND instance != ?', day, APP_ROW,
  ).toArray().map((row) => ({
    instance: row.instance as unknown as string,
    ingestRequests: row.ingest_requests ?? 0,
    rowsWritten: row.rows_written ?? 0,
    ingestBytes: row.ingest_bytes ?? 0,
    events: row.events ?? 0,
  }));
}

/** One day's totals and largest size as stored (what is pending in memory is not in it). */
export function readDay(sql: Sql, day: number): { counts: UsageCounts; storedBytes: number; instances: string[] } {
  const counts = zeroCounts();
  let storedBytes = 0;
  const instances: string[] = [];
  for (const row of sql.exec<DayRow & { instance: string }>(`SELECT instance, ${NAMES.join(', ')}, stored_bytes FROM usage_daily WHERE day = ?`, day)) {
    const own = countsOf(row);
    for (const key of KEYS) counts[key] += own[key];
    storedBytes = Math.max(storedBytes, row.stored_bytes ?? 0);
    if ((row.instance as unknown as string) !== APP_ROW) instances.push(row.instance as unknown as string);
  }
  return { counts, storedBytes, instances };
}

/** Deletes the days before `day`; returns the rows deleted. */
export function forgetUsageBefore(sql: Sql, day: number): number {
  return sql.exec('DELETE FROM usage_daily WHERE day < ?', day).rowsWritten;
}
