// What one evaluation reads from the AppStore: the per-route minute rollups, profiles and the
// instances' last-seen times from `since` on. Sketches stay as stored bytes until a percentile
// rule reads them (most ticks decode only the newest minute: the SketchCache has the rest).
import type { AlertCell, AlertData, AlertProfile } from '../../core/alerts/alert-data.ts';
import { QuantileSketch } from '../../core/sketch.ts';
import type { Sql } from '../store/sql.ts';

interface CellRow extends Record<string, string | number | ArrayBuffer | null> {
  time: number;
  method: string;
  route: string;
  status_class: string;
  count: number;
  errors: number;
  duration_sum: number;
  sketch: ArrayBuffer;
}

/** A cell whose sketch is decoded on first read. */
function lazyCell(row: CellRow): AlertCell {
  let decoded: QuantileSketch | undefined;
  return {
    minute: row.time,
    method: row.method,
    route: row.route,
    statusClass: row.status_class,
    count: row.count,
    errors: row.errors,
    durationSum: row.duration_sum,
    get sketch() {
      return (decoded ??= QuantileSketch.fromBytes(new Uint8Array(row.sketch)));
    },
  };
}

export function loadAlertData(sql: Sql, since: number, now: number): AlertData {
  const cells: AlertCell[] = [];
  // Per-route rows only: the all-routes rows (method '*') would count every request twice.
  for (const row of sql.exec<CellRow>(
    `SELECT time, method, route, status_class, count, errors, duration_sum, sketch FROM rollup_minute
     WHERE time >= ? AND time <= ? AND method != '*'`, since, now,
  )) cells.push(lazyCell(row));
  const profiles = sql.exec<{ timestamp: number; instance: string; rss: number; cpu_percent: number; event_loop_lag_ms: number }>(
    'SELECT timestamp, instance, rss, cpu_percent, event_loop_lag_ms FROM profiles WHERE timestamp >= ? AND timestamp <= ? ORDER BY timestamp', since, now,
  ).toArray().map((p): AlertProfile => ({ timestamp: p.timestamp, instance: p.instance, rss: p.rss, cpuPercent: p.cpu_percent, eventLoopLagMs: p.event_loop_lag_ms }));
  const lastSeen: Record<string, number> = {};
  for (const row of sql.exec<{ instance: string; last_seen: number }>('SELECT instance, last_seen FROM instances')) lastSeen[row.instance] = row.last_seen;
  return { cells, profiles, samples: [], lastSeen };
}
