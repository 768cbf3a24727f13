// The outbox's passes over rows kept in memory: outcomes recorded, retryable failures scheduled
// by the retry policy until expiry, final ones rejected, one pass at a time, and a pass that waits
// for its sends only within its budget.
import { describe, expect, test } from 'bun:test';
import { buildNotification } from '../../../src/core/alerts/notification.ts';
import { Outbox, type OutboxFailure, type OutboxRow, type OutboxRows } from '../../../src/core/alerts/outbox.ts';
import { initialRuleState } from '../../../src/core/alerts/rule-state.ts';
import { resolveRule } from '../../../src/core/alerts/rule.ts';
import { scheduledBackoff, type AttemptOutcome, type RetryPolicy } from '../../../src/core/retry-policy.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const POLICY: RetryPolicy = { backoffMs: scheduledBackoff([1, 1, 2, 5].map((m) => m * MIN)), jitter: 0, maxWaitMs: 60 * MIN };

interface Row extends OutboxRow {
  status: 'pending' | 'sent' | OutboxFailure;
  nextAt: number;
  lastError: string | null;
}

/** OutboxRows over an array, with the same rules as the edge's SQL (alert-tables.ts). */
function memoryRows(keys: string[], expiresAt = T0 + 24 * 60 * MIN) {
  const rule = resolveRule({ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 1, severity: 'warning' });
  const table: Row[] = keys.map((key) => ({
    key, channel: 'webhook', notification: buildNotification(rule, initialRuleState('slow', 1), 'firing', T0, {}), attempts: 0, expiresAt, status: 'pending', nextAt: T0, lastError: null,
  }));
  const find = (row: OutboxRow) => table.find((r) => r.key === row.key)!;
  const rows: OutboxRows = {
    expire: (now) => table.filter((r) => r.status === 'pending' && r.expiresAt <= now).forEach((r) => (r.status = 'expired')),
    due: (now, limit) => table.filter((r) => r.status === 'pending' && r.nextAt <= now).slice(0, limit).map((r) => ({ ...r })),
    sent: (row) => Object.assign(find(row), { status: 'sent', attempts: row.attempts + 1, lastError: null }),
    failed: (row, _now, reason, retryAt, finalStatus) => {
      const r = Object.assign(find(row), { attempts: row.attempts + 1, lastError: reason });
      if (retryAt === null || retryAt >= r.expiresAt) r.status = finalStatus;
      else r.nextAt = retryAt;
    },
  };
  return { table, rows };
}

function outbox(rows: OutboxRows, send: (row: OutboxRow) => Promise<AttemptOutcome>, budgetMs = 5_000) {
  const warnings: string[] = [];
  return { outbox: new Outbox({ rows, send, policy: POLICY, perPass: 10, budgetMs, warn: (line) => warnings.push(line) }), warnings };
}

describe('Outbox', () => {
  test('a retryable failure is retried on the policy\'s schedule; a final one is rejected at once', async () => {
    const { table, rows } = memoryRows(['flaky', 'refused']);
    let flakyCalls = 0;
    const { outbox: box, warnings } = outbox(rows, async (row) => {
      if (row.key === 'refused') return { ok: false, retryable: false, reason: 'HTTP 404' };
      return ++flakyCalls <= 3 ? { ok: false, retryable: true, reason: 'HTTP 503' } : { ok: true };
    });
    const reports = [];
    // One pass a minute for 10 minutes: attempts at +0, +1, +2 and +4 (waits of 1, 1, 2 minutes).
    for (let minute = 0; minute < 10; minute++) reports.push(await box.deliverDue(T0 + minute * MIN));
    expect(flakyCalls).toBe(4);
    expect(reports.map((r) => r.delivered + r.failed)).toEqual([2, 1, 1, 0, 1, 0, 0, 0, 0, 0]);
    expect(table.map((r) => [r.key, r.status, r.attempts, r.lastError])).toEqual([['flaky', 'sent', 4, null], ['refused', 'rejected', 1, 'HTTP 404']]);
    expect(warnings[0]).toBe('alert delivery to webhook failed (HTTP 503); retried on a later tick');
    expect(warnings).toContain('alert delivery to webhook failed (HTTP 404); not retried');
  });

  test('a Retry-After moves the next attempt; a row past its expiry is given up without an attempt', async () => {
    const { table, rows } = memoryRows(['slow-down'], T0 + 10 * MIN);
    let calls = 0;
    const { outbox: box } = outbox(rows, async () => (++calls, { ok: false, retryable: true, reason: 'HTTP 429', retryAfterMs: 7 * MIN }));
    await box.deliverDue(T0);
    expect(table[0]!.nextAt).toBe(T0 + 7 * MIN);
    await box.deliverDue(T0 + 6 * MIN);
    expect(calls).toBe(1);
    await box.deliverDue(T0 + 7 * MIN);
    // The next wait (7 more minutes) would pass the expiry: given up now.
    expect([calls, table[0]!.status, table[0]!.attempts]).toEqual([2, 'expired', 2]);
  });

  test('two callers during one pass share it: each row is sent once', async () => {
    const { rows } = memoryRows(['a', 'b']);
    const sent: string[] = [];
    const { outbox: box } = outbox(rows, async (row) => {
      sent.push(row.key);
      await Bun.sleep(20);
      return { ok: true };
    });
    const [first, second] = await Promise.all([box.deliverDue(T0), box.deliverDue(T0)]);
    expect(sent.sort()).toEqual(['a', 'b']);
    expect(first).toEqual({ delivered: 2, failed: 0 });
    expect(second).toBe(first);
  });

  test('a send still running when the budget ends counts as timed out and goes on a later pass', async () => {
    const { table, rows } = memoryRows(['hangs', 'quick']);
    const { outbox: box } = outbox(rows, async (row) => (row.key === 'hangs' ? new Promise<AttemptOutcome>(() => {}) : { ok: true }), 150);
    const started = performance.now();
    const report = await box.deliverDue(T0);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(2_000);
    expect(report).toEqual({ delivered: 1, failed: 1 });
    expect(table.map((r) => [r.key, r.status, r.lastError, r.nextAt])).toEqual([
      ['hangs', 'pending', 'timeout (the pass ran out of time)', T0 + MIN],
      ['quick', 'sent', null, T0],
    ]);
  });
});
