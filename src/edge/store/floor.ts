// The benchmark's floor (local runtime only): a batch's rollup and sample rows inserted with plain
// INSERTs into tables shaped and indexed exactly like the real ones — no parsing, validation,
// guards or merging — so bench/ingest.ts can show what the real path costs above raw SQLite.
import { base64ToBytes } from '../../core/sketch.ts';
import type { Batch } from '../../core/wire-format.ts';
import type { Sql, SqlValue } from './sql.ts';

const DAY = 86_400_000;
const COPIED = ['rollup_minute', 'samples'] as const;

export class FloorTables {
  private rollups: SqlValue[][] = [];
  private samples: SqlValue[][] = [];
  private calls = 0;

  constructor(private readonly sql: Sql) {
    // The real tables' own DDL, renamed: same columns, same indexes.
    const ddl = sql.exec<{ sql: string }>(
      `SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?) AND sql IS NOT NULL ORDER BY type DESC`, ...COPIED).toArray();
    for (const { sql: statement } of ddl) {
      // Index names hold the table name too (samples_time → floor_samples_time), so each gets its own.
      const renamed = statement.replace(/(rollup_minute|samples)/g, 'floor_$1').replace(/^CREATE (UNIQUE )?(TABLE|INDEX) /, 'CREATE $1$2 IF NOT EXISTS ');
      sql.exec(renamed);
    }
  }

  /** Turns a batch into rows once, outside the timed part. */
  prepare(batch: Batch): void {
    this.rollups = batch.rollups.map((c) => {
      const bytes = base64ToBytes(c.sketch);
      return [c.minute, c.method, c.route, c.statusClass, c.count, c.errors, c.durationSum, c.durationMin, c.durationMax, c.bytes,
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer];
    });
    this.samples = batch.samples.map((s) => [s.timestamp, batch.identity.instance, s.method, s.path, s.route, s.statusCode, s.duration,
      s.userAgent ?? null, s.memoryUsage?.rss ?? null, s.memoryUsage?.heapUsed ?? null, s.memoryUsage?.heapTotal ?? null,
      s.cpuUsage ?? null, s.traceId ?? null, s.spanId ?? null, s.responseSize ?? null, s.error ?? null]);
  }

  /** Inserts the prepared rows in one transaction; each call shifts rollup times by a day to stay unique. */
  insert(): number {
    const shift = ++this.calls * DAY;
    return this.sql.transaction(() => {
      for (const row of this.rollups) {
        this.sql.exec(`INSERT INTO floor_rollup_minute (time, method, route, status_class, count, errors, duration_sum, duration_min,
          duration_max, bytes, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, (row[0] as number) + shift, ...row.slice(1));
      }
      for (const row of this.samples) {
        this.sql.exec(`INSERT INTO floor_samples (timestamp, instance, method, path, route, status_code, duration, user_agent, rss,
          heap_used, heap_total, cpu_usage, trace_id, span_id, response_size, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ...row);
      }
      return this.rollups.length + this.samples.length;
    });
  }
}
