// Channels take turns in a delivery pass. Found by a review: 25 rules fired at once to email, Slack
// and a webhook, the last two hanging; the pass (50 rows) took rows by urgency, then age, then key,
// so the failing channels' retries, older than the email rows still waiting, filled each next pass,
// and the last alert's email left two minutes after the first one's.
import { Database } from 'bun:sqlite';
import { expect, test } from 'bun:test';
import type { AlertNotification } from '../../../src/core/alerts/notification.ts';
import { dueDeliveries, markFailed, markSent, SqlAlertStore } from '../../../src/edge/alerting/alert-tables.ts';
import { migrate } from '../../../src/edge/store/migrations.ts';
import { bunSql } from '../support/bun-sql.ts';

const T = 1_796_094_960_000;
const MINUTE = 60_000;
const PER_PASS = 50;
const RULES = 25;

function firing(i: number, severity: 'critical' | 'info' = 'critical'): AlertNotification {
  const ruleId = `storm-${String(i).padStart(2, '0')}`;
  return { key: `${ruleId}-fire`, id: `${ruleId}-${T}`, ruleId, ruleName: ruleId, state: 'firing', severity, startsAt: T, timestamp: T } as unknown as AlertNotification;
}

test('a pass gives each channel its turn: a healthy channel gets its first attempts while the others retry', () => {
  const sql = bunSql(new Database(':memory:'));
  migrate(sql);
  const store = new SqlAlertStore(sql, () => []);
  store.commit({ now: T, states: [], dropped: [], notifications: Array.from({ length: RULES }, (_, i) => ({ notification: firing(i + 1), channels: ['email', 'slack', 'webhook'] })) });
  const emailed: string[][] = [];
  for (let pass = 0; pass < 2; pass++) {
    const now = T + pass * MINUTE;
    const due = dueDeliveries(sql, now, PER_PASS);
    expect(due.length).toBe(PER_PASS);
    const sent: string[] = [];
    for (const row of due) {
      if (row.channel === 'email') {
        markSent(sql, row, now);
        sent.push(row.notification.ruleId);
      } else markFailed(sql, row, now, 'timeout', now + MINUTE); // hanging: retried next minute
    }
    emailed.push(sent);
  }
  // Every alert's email within two passes, the first 17 in the first, in the order the rules fired.
  expect(emailed[0]!.length).toBe(17);
  expect(emailed.flat()).toEqual(Array.from({ length: RULES }, (_, i) => `storm-${String(i + 1).padStart(2, '0')}`));
});

test('within a channel the most urgent goes first: a critical behind 60 info rows is in the first pass on every channel', () => {
  const sql = bunSql(new Database(':memory:'));
  migrate(sql);
  const store = new SqlAlertStore(sql, () => []);
  store.commit({ now: T, states: [], dropped: [], notifications: Array.from({ length: 60 }, (_, i) => ({ notification: firing(i + 1, 'info'), channels: ['email', 'slack'] })) });
  store.commit({ now: T + 1, states: [], dropped: [], notifications: [{ notification: firing(99), channels: ['email', 'slack'] }] });
  const due = dueDeliveries(sql, T + MINUTE, PER_PASS);
  expect(due.filter((row) => row.notification.ruleId === 'storm-99').map((row) => row.channel).sort()).toEqual(['email', 'slack']);
  expect(due.slice(0, 2).map((row) => row.notification.ruleId)).toEqual(['storm-99', 'storm-99']);
});
