// The alerting tables of the AppStore (migration 3): API rules, rule states, the outbox and the
// notification history, as plain functions over the Sql interface (values always bound); and the
// alert engine's store over them (SqlAlertStore, at the end).
import type { AlertChange, AlertStore, StoredRuleState } from '../../core/alerts/alert-store.ts';
import type { AlertNotification } from '../../core/alerts/notification.ts';
import type { OutboxFailure, OutboxRow } from '../../core/alerts/outbox.ts';
import type { RuleState } from '../../core/alerts/rule-state.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
import { MINUTE_MS } from '../../core/rollup.ts';
import { getMetaNumber, setMeta } from '../store/meta.ts';
import type { Sql } from '../store/sql.ts';

export function listStoredRules(sql: Sql): AlertRule[] {
  return sql.exec<{ rule: string }>('SELECT rule FROM alert_rules ORDER BY created_at, id').toArray().map((row) => JSON.parse(row.rule) as AlertRule);
}

export function getStoredRule(sql: Sql, id: string): AlertRule | undefined {
  const row = sql.exec<{ rule: string }>('SELECT rule FROM alert_rules WHERE id = ?', id).toArray()[0];
  return row === undefined ? undefined : (JSON.parse(row.rule) as AlertRule);
}

export function putStoredRule(sql: Sql, rule: AlertRule, now: number): void {
  sql.exec(
    `INSERT INTO alert_rules (id, rule, created_at, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at`,
    rule.id, JSON.stringify(rule), now, now,
  );
}

export function deleteStoredRule(sql: Sql, id: string): void {
  sql.exec('DELETE FROM alert_rules WHERE id = ?', id);
}

export function readStates(sql: Sql): Map<string, StoredRuleState> {
  const states = new Map<string, StoredRuleState>();
  for (const row of sql.exec<{ rule_id: string; state: string; rule: string }>('SELECT rule_id, state, rule FROM alert_states')) {
    states.set(row.rule_id, { state: JSON.parse(row.state) as RuleState, rule: JSON.parse(row.rule) as AlertRule });
  }
  return states;
}

export function writeState(sql: Sql, state: RuleState, rule: AlertRule): void {
  sql.exec(
    'INSERT INTO alert_states (rule_id, state, rule) VALUES (?, ?, ?) ON CONFLICT (rule_id) DO UPDATE SET state = excluded.state, rule = excluded.rule',
    state.ruleId, JSON.stringify(state), JSON.stringify(rule),
  );
}

/** Whether any rule has a state: an alert may be open, and only an evaluation can close it. */
export function hasStates(sql: Sql): boolean {
  return sql.exec<{ n: number }>('SELECT EXISTS (SELECT 1 FROM alert_states) AS n').one().n === 1;
}

/** Whether a delivery waits in the outbox. */
export function hasPendingDeliveries(sql: Sql): boolean {
  return sql.exec<{ n: number }>(`SELECT EXISTS (SELECT 1 FROM alert_outbox WHERE status = 'pending') AS n`).one().n === 1;
}

export function deleteState(sql: Sql, ruleId: string): void {
  sql.exec('DELETE FROM alert_states WHERE rule_id = ?', ruleId);
}

/** A notification into the history and, for each channel, into the outbox. A key already there is left as it is (sent once). */
export function enqueue(sql: Sql, n: AlertNotification, channels: readonly string[], now: number, expiresAt: number): void {
  const body = JSON.stringify(n);
  sql.exec('INSERT OR IGNORE INTO alert_history (key, alert_id, rule_id, timestamp, notification) VALUES (?, ?, ?, ?, ?)', n.key, n.id, n.ruleId, n.timestamp, body);
  for (const channel of channels) {
    sql.exec(
      `INSERT OR IGNORE INTO alert_outbox (key, channel, notification, created_at, expires_at, next_attempt_at, attempts, status)
       VALUES (?, ?, ?, ?, ?, ?, 0, 'pending')`,
      n.key, channel, body, now, expiresAt, now,
    );
  }
}

/**
 * What an on-call engineer needs first: firing (and rule-error) notifications before resolved ones,
 * then critical, warning, info; oldest first within the same rank. Over the stored JSON: every row
 * has its notification's `state` and `severity` there (old rows too), so no column or migration is
 * needed, and json_extract once per pending row per pass (a pass a minute) is cheap at the
 * outbox's size: with 1 000 pending rows of 1.2 kB the whole query takes about 9 ms in SQLite. An
 * unknown value sorts after the known ones.
 */
const URGENCY_ORDER = `CASE json_extract(notification, '$.state') WHEN 'resolved' THEN 1 ELSE 0 END,
       CASE json_extract(notification, '$.severity') WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 WHEN 'info' THEN 2 ELSE 3 END`;

/**
 * Pending deliveries due at `now` (on a channel not in `heldChannels`), the channels taking turns:
 * each channel's most urgent first (see URGENCY_ORDER), oldest first within the same rank, then
 * every channel's second, and so on. A retry that is due keeps its place in its channel: the order
 * reads neither attempts nor next_attempt_at. Without the turns, a storm's retries to a hanging
 * channel filled the pass ahead of a healthy channel's first attempts (25 alerts reached email over
 * four ticks: a review).
 */
export function dueDeliveries(sql: Sql, now: number, limit: number, heldChannels: readonly string[] = []): OutboxRow[] {
  // A row waits while an earlier one of the same rule for the same channel is pending: a resolve
  // must not overtake the firing it resolves, nor a 'rule changed' resolve the new alert's firing
  // (a receiver grouping by rule would close the new incident). That is, a row goes only when it is
  // the first pending one of its rule and channel, in the order made: by time, then (one commit's
  // rows) the older alert's first, a firing before its own resolve. One window over the pending
  // rows (a NOT EXISTS per row read the JSON once per pair: about 2 s of a pass for 1 000 pending
  // rows, about 9 ms this way).
  return sql.exec<{ key: string; channel: string; notification: string; attempts: number; expires_at: number }>(
    `SELECT key, channel, notification, attempts, expires_at FROM (
       SELECT *, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY ${URGENCY_ORDER}, created_at, key) AS turn FROM (
         SELECT *, ROW_NUMBER() OVER (
           PARTITION BY channel, json_extract(notification, '$.ruleId')
           ORDER BY created_at, json_extract(notification, '$.startsAt'), CASE json_extract(notification, '$.state') WHEN 'resolved' THEN 1 ELSE 0 END, key
         ) AS place
         FROM alert_outbox WHERE status = 'pending'
       )
       WHERE next_attempt_at <= ? AND place = 1
         AND channel NOT IN (SELECT value FROM json_each(?))
     )
     ORDER BY turn, ${URGENCY_ORDER}, created_at, key, channel LIMIT ?`,
    now, JSON.stringify(heldChannels), limit,
  ).toArray().map((row) => ({ key: row.key, channel: row.channel, notification: JSON.parse(row.notification) as AlertNotification, attempts: row.attempts, expiresAt: row.expires_at }));
}

export function markSent(sql: Sql, row: OutboxRow, now: number): void {
  sql.exec(`UPDATE alert_outbox SET status = 'sent', attempts = attempts + 1, done_at = ?, last_error = NULL WHERE key = ? AND channel = ?`, now, row.key, row.channel);
}

/** A failed attempt: retried at `retryAt`, or given up (`expired`, `rejected`) when there is no retry. */
export function markFailed(sql: Sql, row: OutboxRow, now: number, error: string, retryAt: number | null, finalStatus: OutboxFailure = 'expired'): void {
  if (retryAt === null || retryAt >= row.expiresAt) {
    sql.exec('UPDATE alert_outbox SET status = ?, attempts = attempts + 1, done_at = ?, last_error = ? WHERE key = ? AND channel = ?', finalStatus, now, error, row.key, row.channel);
  } else {
    sql.exec('UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE key = ? AND channel = ?', retryAt, error, row.key, row.channel);
  }
}

/**
 * A channel asked to be left alone until `until` (a 429 or 503 with Retry-After): its pending rows
 * wait at least that long, the other channels' not at all. Once the wait is over they are all due
 * together, and the pass takes them in its usual order (most urgent first).
 */
export function holdChannel(sql: Sql, channel: string, until: number): void {
  sql.exec(`UPDATE alert_outbox SET next_attempt_at = MAX(next_attempt_at, ?) WHERE status = 'pending' AND channel = ?`, until, channel);
}

/** Pending rows past their expiry are given up without another attempt. */
export function expireDeliveries(sql: Sql, now: number): number {
  return sql.exec(`UPDATE alert_outbox SET status = 'expired', done_at = ? WHERE status = 'pending' AND expires_at <= ?`, now, now).rowsWritten;
}

/** Finished rows and history older than `before`. */
export function pruneAlerting(sql: Sql, before: number): void {
  sql.exec(`DELETE FROM alert_outbox WHERE status != 'pending' AND done_at < ?`, before);
  sql.exec('DELETE FROM alert_history WHERE timestamp < ?', before);
}

export interface DeliveryRecord {
  channel: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

/** The newest notifications first, each with how its deliveries went. */
export function history(sql: Sql, limit: number): Array<AlertNotification & { deliveries: DeliveryRecord[] }> {
  const rows = sql.exec<{ key: string; notification: string }>('SELECT key, notification FROM alert_history ORDER BY timestamp DESC, key DESC LIMIT ?', limit).toArray();
  return rows.map((row) => {
    const deliveries = sql.exec<{ channel: string; status: string; attempts: number; last_error: string | null }>(
      'SELECT channel, status, attempts, last_error FROM alert_outbox WHERE key = ? ORDER BY channel', row.key,
    ).toArray().map((d) => ({ channel: d.channel, status: d.status, attempts: d.attempts, lastError: d.last_error }));
    return { ...(JSON.parse(row.notification) as AlertNotification), deliveries };
  });
}

/** A delivery is given up this long after its notification. */
const DELIVERY_EXPIRY_MS = 24 * 60 * MINUTE_MS;
/** Finished deliveries and history are kept this long. */
const HISTORY_MS = 7 * 24 * 60 * MINUTE_MS;
const LAST_TICK = 'last_alert_tick';

/**
 * The engine's store at the edge: rules from the catalog, states and the outbox in these tables.
 * Each change is one transaction: states, the rule removed, the notifications into history and
 * outbox, and for a tick's evaluation its time (so a cron delivered twice evaluates once) and the
 * pruning of old history.
 */
export class SqlAlertStore implements AlertStore {
  /** @param rulesNow the rules to evaluate, in order (the rule catalog's). */
  constructor(private readonly sql: Sql, private readonly rulesNow: () => readonly AlertRule[]) {}

  rules(): readonly AlertRule[] {
    return this.rulesNow();
  }

  states(): ReadonlyMap<string, StoredRuleState> {
    return readStates(this.sql);
  }

  /** The scheduled time last evaluated, or null before the first tick. */
  lastEvaluatedAt(): number | null {
    return getMetaNumber(this.sql, LAST_TICK);
  }

  commit(change: AlertChange): void {
    const { sql } = this;
    sql.transaction(() => {
      if (change.removedRule !== undefined) deleteStoredRule(sql, change.removedRule);
      for (const { rule, state } of change.states) writeState(sql, state, rule);
      for (const id of change.dropped) deleteState(sql, id);
      // Stamped no earlier than any row already there: a tick's change is stamped with the minute it
      // evaluates, seconds before it runs, and an API change in between with the clock; the outbox
      // keeps a rule's rows in stamp order (a new firing had gone before the old rule's resolve).
      const madeAt = change.notifications.length === 0 ? change.now : Math.max(change.now, sql.exec<{ at: number }>('SELECT COALESCE(MAX(created_at), 0) AS at FROM alert_outbox').one().at);
      for (const { notification, channels } of change.notifications) {
        enqueue(sql, notification, channels, madeAt, notification.timestamp + DELIVERY_EXPIRY_MS);
      }
      if (change.evaluatedAt !== undefined) {
        pruneAlerting(sql, change.now - HISTORY_MS);
        setMeta(sql, LAST_TICK, change.evaluatedAt);
      }
    });
  }
}
