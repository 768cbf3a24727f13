// The AppStore schema as an append-only list of migrations, applied in order and tracked by
// version. Never edit an applied migration: add a new one at the end.
import type { Sql } from './sql.ts';

/** A rollup table: one cell per time, method, route and status class (minutes, hours, 10 seconds). */
function rollupTable(table: string): string {
  return `CREATE TABLE ${table} (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    status_class TEXT NOT NULL,
    count INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    duration_sum REAL NOT NULL,
    duration_min REAL NOT NULL,
    duration_max REAL NOT NULL,
    bytes INTEGER NOT NULL,
    sketch BLOB NOT NULL
  )`;
}

/** Each migration is a list of statements run in one transaction. */
export const MIGRATIONS: ReadonlyArray<readonly string[]> = [
  // 1: rollups, detail data, idempotency, cardinality guards.
  [
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID`,
    // Rollup cells: `time` is the start of the minute (rollup_minute) or of the hour (rollup_hour).
    ...['rollup_minute', 'rollup_hour'].flatMap((table) => [
      rollupTable(table),
      `CREATE UNIQUE INDEX ${table}_key ON ${table} (time, method, route, status_class)`,
    ]),
    `CREATE TABLE samples (
      id INTEGER PRIMARY KEY,
      timestamp REAL NOT NULL,
      instance TEXT NOT NULL,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      route TEXT NOT NULL,
      status_code INTEGER NOT NULL,
      duration REAL NOT NULL,
      user_agent TEXT,
      rss INTEGER,
      heap_used INTEGER,
      heap_total INTEGER,
      cpu_usage REAL,
      trace_id TEXT,
      span_id TEXT,
      response_size INTEGER,
      error TEXT
    )`,
    `CREATE INDEX samples_time ON samples (timestamp)`,
    `CREATE INDEX samples_route_time ON samples (route, timestamp)`,
    `CREATE TABLE spans (
      id INTEGER PRIMARY KEY,
      trace_id TEXT NOT NULL,
      span_id TEXT NOT NULL,
      parent_span_id TEXT,
      name TEXT NOT NULL,
      kind TEXT NOT NULL,
      start_time REAL NOT NULL,
      duration REAL NOT NULL,
      status TEXT NOT NULL,
      error TEXT,
      tags TEXT NOT NULL,
      logs TEXT NOT NULL,
      service TEXT NOT NULL,
      instance TEXT NOT NULL
    )`,
    `CREATE UNIQUE INDEX spans_key ON spans (trace_id, span_id)`,
    `CREATE INDEX spans_time ON spans (start_time)`,
    // One row per trace, kept up to date as its spans arrive, so listing traces needs no GROUP BY.
    `CREATE TABLE traces (
      trace_id TEXT PRIMARY KEY,
      start_time REAL NOT NULL,
      end_time REAL NOT NULL,
      duration REAL NOT NULL,
      name TEXT NOT NULL,
      route TEXT,
      method TEXT,
      status_code INTEGER,
      error INTEGER NOT NULL,
      span_count INTEGER NOT NULL,
      root_known INTEGER NOT NULL,
      service TEXT NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX traces_time ON traces (start_time)`,
    `CREATE INDEX traces_duration ON traces (duration)`,
    `CREATE TABLE profiles (
      id INTEGER PRIMARY KEY,
      timestamp REAL NOT NULL,
      instance TEXT NOT NULL,
      rss INTEGER NOT NULL,
      heap_used INTEGER NOT NULL,
      heap_total INTEGER NOT NULL,
      cpu_percent REAL NOT NULL,
      event_loop_lag_ms REAL NOT NULL,
      in_flight INTEGER NOT NULL
    )`,
    `CREATE INDEX profiles_time ON profiles (timestamp)`,
    `CREATE TABLE batches (
      batch_id TEXT PRIMARY KEY,
      received_at INTEGER NOT NULL,
      instance TEXT NOT NULL,
      events INTEGER NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX batches_received ON batches (received_at)`,
    `CREATE TABLE routes (route TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID`,
    `CREATE TABLE instances (
      instance TEXT PRIMARY KEY,
      service TEXT NOT NULL,
      runtime TEXT NOT NULL,
      runtime_version TEXT NOT NULL,
      sdk_version TEXT NOT NULL,
      first_seen INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      batches INTEGER NOT NULL,
      dropped_rollups INTEGER NOT NULL,
      dropped_samples INTEGER NOT NULL,
      dropped_spans INTEGER NOT NULL,
      dropped_profiles INTEGER NOT NULL
    ) WITHOUT ROWID`,
  ],
  // 2: the all-routes rows (method '*', see rollups.ts) are read by time alone.
  [
    `CREATE INDEX rollup_minute_totals ON rollup_minute (time) WHERE method = '*'`,
    `CREATE INDEX rollup_hour_totals ON rollup_hour (time) WHERE method = '*'`,
  ],
  // 3: alerting. Rules added through the API (those of the ALERT_RULES var live in the config), each
  // rule's state as JSON, the outbox of deliveries (one row per notification and channel), and the
  // notification history.
  [
    `CREATE TABLE alert_rules (id TEXT PRIMARY KEY, rule TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`,
    // `rule`: the rule as last evaluated, so a rule gone from ALERT_RULES can still close its open alert.
    `CREATE TABLE alert_states (rule_id TEXT PRIMARY KEY, state TEXT NOT NULL, rule TEXT NOT NULL) WITHOUT ROWID`,
    `CREATE TABLE alert_outbox (
      key TEXT NOT NULL,
      channel TEXT NOT NULL,
      notification TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      status TEXT NOT NULL,
      last_error TEXT,
      done_at INTEGER,
      PRIMARY KEY (key, channel)
    ) WITHOUT ROWID`,
    `CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at)`,
    `CREATE TABLE alert_history (
      key TEXT PRIMARY KEY,
      alert_id TEXT NOT NULL,
      rule_id TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      notification TEXT NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX alert_history_time ON alert_history (timestamp)`,
  ],
  // 4: requests an instance counted but could not deliver (its `dropped.requests`: counts the client
  // had to drop, past its pending bound), and when it last reported such a loss.
  [
    `ALTER TABLE instances ADD COLUMN dropped_requests INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE instances ADD COLUMN requests_lost_at INTEGER`,
  ],
  // 5: what the app costs at the edge per UTC day (src/edge/usage): one row for the app itself
  // (instance '': reads, cron visits, alarms, rows, storage) and one per instance that sent batches.
  [
    `CREATE TABLE usage_daily (
      day INTEGER NOT NULL,
      instance TEXT NOT NULL,
      ingest_requests INTEGER NOT NULL DEFAULT 0,
      reads INTEGER NOT NULL DEFAULT 0,
      ticks INTEGER NOT NULL DEFAULT 0,
      alarms INTEGER NOT NULL DEFAULT 0,
      rows_read INTEGER NOT NULL DEFAULT 0,
      rows_written INTEGER NOT NULL DEFAULT 0,
      ingest_bytes INTEGER NOT NULL DEFAULT 0,
      events INTEGER NOT NULL DEFAULT 0,
      stored_bytes INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (day, instance)
    ) WITHOUT ROWID`,
  ],
  // 6: how each instance samples detail and traces, as it last said (`identity.sampling`, JSON).
  [`ALTER TABLE instances ADD COLUMN sampling TEXT`],
  // 7: 10-second rollups for the recent past (rollup_10s, the shape of the others, with its own
  // all-routes rows); per instance, its process id (a detail: the instance id stays across restarts)
  // and how far its batches have reported (the latest batch window) with the requests that batch
  // counted, which the live tiles read. The app's last 3 hours of minutes (its all-routes rows) are
  // copied in, each at the start of its minute, as cells from clients that send minutes keep being,
  // so charts of the recent past show them. (Rows per route are kept with TEN_SECOND_ROUTES on.)
  [
    rollupTable('rollup_10s'),
    // No separate index for the all-routes rows (as the other tables have): by default they are the
    // only rows here, and the key's leading `time` finds them; every index is rows written per insert.
    `CREATE UNIQUE INDEX rollup_10s_key ON rollup_10s (time, method, route, status_class)`,
    `INSERT INTO rollup_10s (time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch)
     SELECT time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM rollup_minute
     WHERE method = '*' AND time >= CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 3 * 3600000`,
    `ALTER TABLE instances ADD COLUMN pid INTEGER`,
    `ALTER TABLE instances ADD COLUMN reported_until INTEGER`,
    `ALTER TABLE instances ADD COLUMN reported_from INTEGER`,
    `ALTER TABLE instances ADD COLUMN reported_requests INTEGER`,
  ],
  // 8: fewer rows written per batch (Cloudflare bills rows written, index entries included).
  // Detail records in chunks (store/detail-chunks.ts): one row per kind, minute and write, its id
  // time ordered so no index is needed; a trace's summary one row with no index. Batch ids
  // in a table keyed by (received day, id): the key is the row, so a batch costs one row where
  // `batches` (a row and an index on received_at) cost two. The old tables stay readable until
  // their rows expire; nothing is copied.
  [
    ...['sample_chunks', 'span_chunks', 'profile_chunks', 'trace_chunks'].map((table) => `CREATE TABLE ${table} (
      id INTEGER PRIMARY KEY,
      first REAL NOT NULL,
      last REAL NOT NULL,
      records INTEGER NOT NULL,
      body TEXT NOT NULL
    )`),
    // One row per trace, found by id (its key: no index entry to write); by time through the trace
    // index chunks (store/trace-summaries.ts). `chunks`: the span chunks holding its spans.
    `CREATE TABLE trace_summaries (
      trace_id TEXT PRIMARY KEY,
      start_time REAL NOT NULL,
      end_time REAL NOT NULL,
      duration REAL NOT NULL,
      name TEXT NOT NULL,
      route TEXT,
      method TEXT,
      status_code INTEGER,
      error INTEGER NOT NULL,
      span_count INTEGER NOT NULL,
      root_known INTEGER NOT NULL,
      service TEXT NOT NULL,
      chunks TEXT NOT NULL
    ) WITHOUT ROWID`,
    // Batches taken and not yet folded into the tables (store/pending-log.ts): a ring of slots.
    `CREATE TABLE pending_batches (slot INTEGER PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL)`,
    `CREATE TABLE batch_ids (
      day INTEGER NOT NULL,
      batch_id TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      instance TEXT NOT NULL,
      events INTEGER NOT NULL,
      PRIMARY KEY (day, batch_id)
    ) WITHOUT ROWID`,
  ],
  // 9: per instance, callers' sampled traces it passed on unsampled (its `dropped.parentTraces`).
  [`ALTER TABLE instances ADD COLUMN dropped_parent_traces INTEGER NOT NULL DEFAULT 0`],
  // 10: per instance, how far each of its latest processes reported (processes started apart share
  // an instance; the live horizon waits for the slowest, not the latest): JSON, store/instance-processes.ts.
  [`ALTER TABLE instances ADD COLUMN processes TEXT`],
];

/**
 * The fewest migrations a bun-apm must know to run on a store at this version: raise it to
 * MIGRATIONS.length with a migration an older version could not work with (a table reshaped, a
 * meaning changed); an added column or table leaves it. Kept in the store, so that an older edge
 * deployed over it (a rollback) refuses a store it cannot read rather than write to it unawares (a
 * review). Edges before this check run on anything, and know at most 9.
 */
export const READABLE_BY = 9;

/** What NewerStoreError's message says first: an RPC keeps an error's message, not its class. */
const NEWER_STORE = 'this store was written by a newer bun-apm';

/** A store a newer bun-apm wrote in a way this one cannot work with: refused, nothing read or written. */
export class NewerStoreError extends Error {
  override name = 'NewerStoreError';
}

/** Whether an error from a store's call is its NewerStoreError, come back through the runtime. */
export function isNewerStoreError(error: unknown): boolean {
  return String((error as Error | null)?.message ?? '').includes(NEWER_STORE);
}

/**
 * Applies the migrations this database hasn't seen; returns the version it is now at. A database
 * a newer bun-apm migrated further is left as it is: run on when that version says older ones may
 * (`readable_by`), refused with NewerStoreError when not.
 */
export function migrate(sql: Sql, migrations: ReadonlyArray<readonly string[]> = MIGRATIONS, readableBy: number = migrations === MIGRATIONS ? READABLE_BY : migrations.length): number {
  sql.exec('CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  sql.exec('CREATE TABLE IF NOT EXISTS _readable_by (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)');
  const row = sql.exec<{ version: number | null }>('SELECT MAX(version) AS version FROM _migrations').one();
  const current = row.version ?? 0;
  const said = sql.exec<{ version: number | null }>('SELECT MAX(version) AS version FROM _readable_by').one().version;
  if (current > migrations.length) {
    const needs = said ?? current;
    if (needs > migrations.length) {
      throw new NewerStoreError(`${NEWER_STORE} (schema ${current}, readable from ${needs}); this edge knows ${migrations.length}: deploy the newer version again (an older one cannot work with its data)`);
    }
    return current;
  }
  if (said !== readableBy) sql.exec('INSERT INTO _readable_by (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version', readableBy);
  for (let version = current + 1; version <= migrations.length; version++) {
    sql.transaction(() => {
      for (const statement of migrations[version - 1]!) sql.exec(statement);
      sql.exec('INSERT INTO _migrations (version, applied_at) VALUES (?, ?)', version, Date.now());
    });
  }
  return migrations.length;
}
