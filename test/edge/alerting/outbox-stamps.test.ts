// The outbox's order within a rule holds across changes stamped by different clocks: a tick's change
// is stamped with the minute it evaluates (seconds before it runs), an API change with the clock.
// Found by a review: a rule deleted then added again between a minute's start and its tick had the
// new alert's firing sent before the old alert's resolve, on a channel that was failing until then.
import { Database } from 'bun:sqlite';
import { expect, test } from 'bun:test';
import type { AlertNotification } from '../../../src/core/alerts/notification.ts';
import { dueDeliveries, markSent, SqlAlertStore } from '../../../src/edge/alerting/alert-tables.ts';
import { migrate } from '../../../src/edge/store/migrations.ts';
import { bunSql } from '../support/bun-sql.ts';

const MINUTE = 1_796_094_960_000;

function notification(key: string, id: string, state: 'firing' | 'resolved', startsAt: number, at = startsAt): AlertNotification {
  return { key, id, ruleId: 'apir', ruleName: 'Api rule', state, severity: 'warning', startsAt, timestamp: at } as unknown as AlertNotification;
}

test("a rule's rows go in the order their changes were made, whichever clock stamped them", () => {
  const sql = bunSql(new Database(':memory:'));
  migrate(sql);
  const store = new SqlAlertStore(sql, () => []);
  const change = (now: number, routed: AlertNotification) => store.commit({ now, states: [], dropped: [], notifications: [{ notification: routed, channels: ['webhook'] }] });
  change(MINUTE - 240_000, notification('old-fire', 'apir-old', 'firing', MINUTE - 240_000)); // a tick
  change(MINUTE + 2_833, notification('old-resolve', 'apir-old', 'resolved', MINUTE - 240_000, MINUTE + 2_833)); // DELETE at 2.8 s past the minute
  change(MINUTE, notification('new-fire', 'apir-new', 'firing', MINUTE)); // the tick for that minute, run at 15 s
  const sent: string[] = [];
  for (let pass = 0; pass < 3; pass++) {
    for (const row of dueDeliveries(sql, MINUTE + 60_000, 50)) {
      sent.push(row.notification.key);
      markSent(sql, row, MINUTE + 60_000);
    }
  }
  expect(sent).toEqual(['old-fire', 'old-resolve', 'new-fire']);
});
