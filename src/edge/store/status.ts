// What an operator asks a store: how much it holds, how far rollups and maintenance have come.
import { batchCount } from './batch-ids.ts';
import { chunkRecordCount } from './detail-chunks.ts';
import { getMetaNumber } from './meta.ts';
import { traceCount } from './trace-summaries.ts';
import { scalar, type Sql } from './sql.ts';

export interface StoreStatus {
  rows: Record<'rollup10s' | 'rollupMinutes' | 'rollupHours' | 'samples' | 'spans' | 'traces' | 'profiles' | 'batches', number>;
  routes: { count: number; cap: number };
  instances: { count: number; cap: number };
  /** Every hour before this (ms since the epoch) is in the hourly rollups; null before the first maintenance. */
  hourWatermark: number | null;
  lastMaintenance: number | null;
  lastTick: number | null;
  /** The minute the alert rules were last evaluated for (by the store's alarm or a minute cron); null if never. */
  lastEvaluation: number | null;
  databaseBytes: number;
}

// Records, whichever layout holds them (a chunk counts its records).
const COUNTS: Record<keyof StoreStatus['rows'], (sql: Sql) => number> = {
  rollup10s: (sql) => scalar(sql, 'SELECT COUNT(*) FROM rollup_10s') as number,
  rollupMinutes: (sql) => scalar(sql, 'SELECT COUNT(*) FROM rollup_minute') as number,
  rollupHours: (sql) => scalar(sql, 'SELECT COUNT(*) FROM rollup_hour') as number,
  samples: (sql) => (scalar(sql, 'SELECT COUNT(*) FROM samples') as number) + chunkRecordCount(sql, 'samples'),
  spans: (sql) => (scalar(sql, 'SELECT COUNT(*) FROM spans') as number) + chunkRecordCount(sql, 'spans'),
  traces: traceCount,
  profiles: (sql) => (scalar(sql, 'SELECT COUNT(*) FROM profiles') as number) + chunkRecordCount(sql, 'profiles'),
  batches: batchCount,
};

export function storeStatus(sql: Sql, routes: { size: number; cap: number }, instances: { size: number; cap: number }): StoreStatus {
  const rows = Object.fromEntries(Object.entries(COUNTS).map(([name, count]) => [name, count(sql)])) as StoreStatus['rows'];
  return {
    rows,
    routes: { count: routes.size, cap: routes.cap },
    instances: { count: instances.size, cap: instances.cap },
    hourWatermark: getMetaNumber(sql, 'hour_watermark'),
    lastMaintenance: getMetaNumber(sql, 'last_maintenance'),
    lastTick: getMetaNumber(sql, 'last_tick'),
    lastEvaluation: getMetaNumber(sql, 'last_alert_tick'),
    databaseBytes: sql.databaseSize,
  };
}
