// What an operator asks a store: how much it holds, how far rollups and maintenance have come.
import { getMetaNumber } from './meta.ts';
import { scalar, type Sql } from './sql.ts';

export interface StoreStatus {
  rows: Record<'rollup10s' | 'rollupMinutes' | 'rollupHours' | 'samples' | 'spans' | 'traces' | 'profiles' | 'batches', number>;
  routes: { count: number; cap: number };
  instances: { count: number; cap: number };
  /** Every hour before this (ms since the epoch) is in the hourly rollups; null before the first maintenance. */
  hourWatermark: number | null;
  lastMaintenance: number | null;
  lastTick: number | null;
  databaseBytes: number;
}

const COUNTS = {
  rollup10s: 'SELECT COUNT(*) FROM rollup_10s',
  rollupMinutes: 'SELECT COUNT(*) FROM rollup_minute',
  rollupHours: 'SELECT COUNT(*) FROM rollup_hour',
  samples: 'SELECT COUNT(*) FROM samples',
  spans: 'SELECT COUNT(*) FROM spans',
  traces: 'SELECT COUNT(*) FROM traces',
  profiles: 'SELECT COUNT(*) FROM profiles',
  batches: 'SELECT COUNT(*) FROM batches',
} as const;

export function storeStatus(sql: Sql, routes: { size: number; cap: number }, instances: { size: number; cap: number }): StoreStatus {
  const rows = Object.fromEntries(Object.entries(COUNTS).map(([name, query]) => [name, scalar(sql, query) as number])) as StoreStatus['rows'];
  return {
    rows,
    routes: { count: routes.size, cap: routes.cap },
    instances: { count: instances.size, cap: instances.cap },
    hourWatermark: getMetaNumber(sql, 'hour_watermark'),
    lastMaintenance: getMetaNumber(sql, 'last_maintenance'),
    lastTick: getMetaNumber(sql, 'last_tick'),
    databaseBytes: sql.databaseSize,
  };
}
