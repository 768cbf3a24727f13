// Small named values the store keeps between runs: the hourly watermark, the last maintenance…
import { scalar, type Sql } from './sql.ts';

export type MetaKey = 'hour_watermark' | 'last_maintenance' | 'last_tick' | 'cron_tick_at' | 'last_alert_tick' | 'folded_seq' | 'app' | 'channel_holds';

export function getMetaNumber(sql: Sql, key: MetaKey): number | null {
  const value = scalar(sql, 'SELECT value FROM meta WHERE key = ?', key);
  return typeof value === 'number' ? value : null;
}

export function getMetaString(sql: Sql, key: MetaKey): string | null {
  const value = scalar(sql, 'SELECT value FROM meta WHERE key = ?', key);
  return typeof value === 'string' ? value : null;
}

export function setMeta(sql: Sql, key: MetaKey, value: number | string): void {
  sql.exec('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
}
