// Today's use of every app a key can read, summed: one store request per app and shard, so the API and
// the dashboard ask for it only when shown (a full page, not each refresh).
import { accountUsageOf, type AccountUsage, type UsageReport } from '../../core/usage/usage.ts';
import { appReader } from '../app-reader.ts';
import type { Env } from '../env.ts';
import { readSettings } from '../settings.ts';

/** `known` reports (already read for one app) are used as they are rather than asked again. */
export async function accountUsage(env: Env, apps: string[], known: UsageReport[] = []): Promise<AccountUsage> {
  const reports = await Promise.all(apps.map(async (app) => {
    const report = known.find((r) => r.app === app) ?? (await appReader(env, app).usageReport(1));
    return { app, today: report.days[0]! };
  }));
  return accountUsageOf(reports, readSettings(env).plan, Date.now());
}
