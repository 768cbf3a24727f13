// The alert engine's store at the edge: rules from the catalog, states and the outbox in the
// AppStore's SQLite (alert-tables.ts). Each change is one transaction: states, the rule removed,
// the notifications into history and outbox, and for a tick's evaluation its time (so a cron
// delivered twice evaluates once) and the pruning of old history.
import type { AlertChange, AlertStore, StoredRuleState } from '../../core/alerts/alert-store.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
import { MINUTE_MS } from '../../core/rollup.ts';
import { getMetaNumber, setMeta } from '../store/meta.ts';
import type { Sql } from '../store/sql.ts';
import * as tables from './alert-tables.ts';
import type { RuleCatalog } from './rule-catalog.ts';

/** A delivery is given up this long after its notification. */
const DELIVERY_EXPIRY_MS = 24 * 60 * MINUTE_MS;
/** Finished deliveries and history are kept this long. */
const HISTORY_MS = 7 * 24 * 60 * MINUTE_MS;
const LAST_TICK = 'last_alert_tick';

export class SqlAlertStore implements AlertStore {
  constructor(private readonly sql: Sql, private readonly catalog: RuleCatalog) {}

  rules(): readonly AlertRule[] {
    return this.catalog.rules();
  }

  states(): ReadonlyMap<string, StoredRuleState> {
    return tables.readStates(this.sql);
  }

  /** The scheduled time last evaluated, or null before the first tick. */
  lastEvaluatedAt(): number | null {
    return getMetaNumber(this.sql, LAST_TICK);
  }

  commit(change: AlertChange): void {
    const { sql } = this;
    sql.transaction(() => {
      if (change.removedRule !== undefined) tables.deleteStoredRule(sql, change.removedRule);
      for (const { rule, state } of change.states) tables.writeState(sql, state, rule);
      for (const id of change.dropped) tables.deleteState(sql, id);
      for (const { notification, channels } of change.notifications) {
        tables.enqueue(sql, notification, channels, change.now, notification.timestamp + DELIVERY_EXPIRY_MS);
      }
      if (change.evaluatedAt !== undefined) {
        tables.pruneAlerting(sql, change.now - HISTORY_MS);
        setMeta(sql, LAST_TICK, change.evaluatedAt);
      }
    });
  }
}
