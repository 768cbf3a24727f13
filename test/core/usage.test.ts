// The cost model's arithmetic: quotas used and projected to the end of the UTC day, the warnings of
// the free plan, the account's sum with the cron, and the PLAN var.
import { describe, expect, test } from 'bun:test';
import { parsePlan, PLAN_LIMITS } from '../../src/core/usage/plan.ts';
import { accountUsageOf, dayOf, quotasOf, warningsOf, zeroCounts, type UsageDay } from '../../src/core/usage/usage.ts';

const DAY = Date.UTC(2026, 6, 1);
const HOUR = 3_600_000;

function day(counts: Partial<UsageDay>): UsageDay {
  return { day: DAY, ...zeroCounts(), storedBytes: 0, ...counts };
}

describe('usage against the plan', () => {
  test('PLAN: free or paid in any case, unset is unknown, anything else names the var', () => {
    expect(parsePlan('free')).toBe('free');
    expect(parsePlan(' Paid ')).toBe('paid');
    expect(parsePlan(undefined)).toBeNull();
    expect(parsePlan('')).toBeNull();
    expect(() => parsePlan('gold')).toThrow('PLAN: expected one of free, paid, got "gold"');
  });

  test('used is counted as the platform bills it; projected carries the rate on to 24:00 UTC', () => {
    const today = day({ ingestRequests: 1_000, reads: 200, ticks: 360, alarms: 72, rowsWritten: 9_000, rowsRead: 50_000, storedBytes: 12_345_678 });
    const quotas = Object.fromEntries(quotasOf(today, DAY + 6 * HOUR, 'free').map((q) => [q.kind, q]));
    // Worker requests: ingests and reads; store requests: those plus cron visits and alarms.
    expect(quotas.workerRequests!.used).toBe(1_200);
    expect(quotas.storeRequests!.used).toBe(1_000 + 200 + 360 + 72);
    // Six hours in: four times as much by the end of the day; storage stays as it is.
    expect(quotas.storeRequests!.projected).toBe(4 * 1_632);
    expect(quotas.rowsWritten!.projected).toBe(36_000);
    expect(quotas.storedBytes!.projected).toBe(12_345_678);
    expect(quotas.rowsWritten!.limit).toBe(100_000);
    expect(quotas.rowsRead!.limit).toBe(5_000_000);
  });

  test('a burst just after midnight is not read as a whole day: the rate is over an hour at least', () => {
    const quotas = quotasOf(day({ ingestRequests: 100 }), DAY + 60_000, 'free');
    expect(quotas.find((q) => q.kind === 'workerRequests')!.projected).toBe(2_400);
  });

  test('warnings only on the free plan, from 80 % used or projected, and what happens at 100 %', () => {
    const heading = day({ rowsWritten: 30_000 }); // at 6 h: 120,000 projected
    const at6h = quotasOf(heading, DAY + 6 * HOUR, 'free');
    const warnings = warningsOf(at6h, 'this app');
    expect(warnings.map((w) => w.kind)).toEqual(['rowsWritten']);
    expect(warnings[0]!.message).toBe("this app used 30,000 of the free plan's 100,000 SQLite rows written a day (30 %); at today's rate 120,000 by 24:00 UTC (120 %)");
    const spent = warningsOf(quotasOf(day({ rowsWritten: 100_000 }), DAY + 20 * HOUR, 'free'), 'this app');
    expect(spent[0]!.message).toContain('(100 %): Cloudflare fails further operations of this kind until 00:00 UTC');
    expect(warningsOf(quotasOf(day({ rowsWritten: 30_000 }), DAY + 12 * HOUR, 'free'), 'x')).toEqual([]); // 60 % projected
    expect(warningsOf(quotasOf(heading, DAY + 6 * HOUR, 'paid'), 'x')).toEqual([]);
    expect(warningsOf(quotasOf(heading, DAY + 6 * HOUR, null), 'x')).toEqual([]);
    const storage = warningsOf(quotasOf(day({ storedBytes: 4.5e9 }), DAY + 6 * HOUR, 'free'), 'this app');
    expect(storage[0]!.message).toBe("this app used 4.50 GB of the free plan's 5.00 GB SQLite storage (90 %)");
  });

  test('the account sums its apps, adds the cron once, and ignores another day', () => {
    const now = DAY + 10 * HOUR;
    const account = accountUsageOf([
      { app: 'shop', today: day({ ingestRequests: 30_000, reads: 100, storedBytes: 1e6 }) },
      { app: 'blog', today: day({ ingestRequests: 5_000, ticks: 600, storedBytes: 2e6 }) },
      { app: 'old', today: { ...day({ ingestRequests: 99_999 }), day: DAY - 86_400_000 } },
    ], 'free', now);
    const quotas = Object.fromEntries(account.quotas.map((q) => [q.kind, q]));
    // The cron fires hourly, the first at 00:00: 11 invocations by 10:00 (a review counted one short).
    expect(account.cronInvocations).toBe(11);
    expect(quotas.workerRequests!.used).toBe(30_000 + 100 + 5_000 + 11);
    expect(quotas.storeRequests!.used).toBe(30_000 + 100 + 5_000 + 600);
    expect(quotas.storedBytes!.used).toBe(3e6);
    // 35,111 Worker requests in 10 h: 84,266 by midnight (35,111 × 2.4), past 80 % of 100,000.
    expect(quotas.workerRequests!.projected).toBe(Math.round(35_111 * 2.4));
    expect(account.warnings.map((w) => w.kind)).toEqual(['workerRequests', 'storeRequests']);
    expect(account.warnings[0]!.message.startsWith('these 3 apps used 35,111')).toBe(true);
  });

  test('days are UTC days', () => {
    expect(dayOf(DAY + 23 * HOUR + 59 * 60_000)).toBe(DAY);
    expect(dayOf(DAY - 1)).toBe(DAY - 86_400_000);
    expect(PLAN_LIMITS.free.cpuMsPerInvocation).toBe(10);
  });
});
