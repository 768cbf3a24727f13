// What the edge spends per app and per UTC day, and how close that comes to the plan's quotas:
// the shapes of `GET /api/v1/apps/:app/usage`, of the ingest answer's `usage` and of the
// dashboard's usage panel, with the one formula for the warnings that all three show.
import { PLAN_LIMITS, QUOTA_KINDS, QUOTA_LABELS, type Plan, type PlanLimits, type QuotaKind } from './plan.ts';

export const DAY_MS = 86_400_000;

/** Share of a daily quota past which a warning is given (used, or projected to the end of the day). */
export const WARN_AT = 0.8;

/** Counts of one app for one UTC day. */
export interface UsageCounts {
  /** Ingest POSTs that reached the app's store (accepted, duplicate or over the rate limit). */
  ingestRequests: number;
  /** Dashboard and API reads of the store (each page or fragment makes one or more). */
  reads: number;
  /** Cron visits of the store. */
  ticks: number;
  /** Maintenance alarms of the store. */
  alarms: number;
  rowsRead: number;
  rowsWritten: number;
  /** Ingest bodies as sent (gzip). */
  ingestBytes: number;
  /** Records in accepted batches (rollup cells, samples, spans, profiles). */
  events: number;
}

export interface UsageDay extends UsageCounts {
  /** 00:00 UTC of the day, ms since the epoch. */
  day: number;
  /** The store's size at its largest that day (bytes). */
  storedBytes: number;
}

export interface InstanceUsage {
  instance: string;
  ingestRequests: number;
  rowsWritten: number;
  ingestBytes: number;
  events: number;
}

/** One quota: what was used today, where the day is heading, and the limit when the plan is known. */
export interface QuotaUse {
  kind: QuotaKind;
  label: string;
  used: number;
  /** `used` carried on at today's rate to 24:00 UTC (storage: as it is now). */
  projected: number;
  /** The free plan's daily quota; null on the paid plan or when the plan is not known. */
  limit: number | null;
}

export interface UsageWarning {
  kind: QuotaKind;
  message: string;
}

export interface UsageReport {
  app: string;
  plan: Plan | null;
  now: number;
  /** Today first, then earlier days that have counts. */
  days: UsageDay[];
  /** Today's counts per instance, most requests first. */
  instances: InstanceUsage[];
  quotas: QuotaUse[];
  warnings: UsageWarning[];
  limits: PlanLimits | null;
}

export function zeroCounts(): UsageCounts {
  return { ingestRequests: 0, reads: 0, ticks: 0, alarms: 0, rowsRead: 0, rowsWritten: 0, ingestBytes: 0, events: 0 };
}

const COUNT_KEYS = Object.keys(zeroCounts()) as Array<keyof UsageCounts>;

/** Adds the counts of `from` (only those: a day's `day` and `storedBytes` are not counts). */
export function addCounts(into: UsageCounts, from: Partial<UsageCounts>): void {
  for (const key of COUNT_KEYS) into[key] += from[key] ?? 0;
}

export function dayOf(time: number): number {
  return Math.floor(time / DAY_MS) * DAY_MS;
}

/** Store requests of a day: every RPC, cron visit and alarm is one billed Durable Object request. */
export function storeRequestsOf(day: UsageCounts): number {
  return day.ingestRequests + day.reads + day.ticks + day.alarms;
}

/**
 * Worker requests of a day, at most: every ingest is one, and every dashboard or API read of the
 * store came from one (a page that reads several times counts several: this is an upper bound).
 * The cron's own invocations (CRON_INVOCATIONS_PER_DAY for the whole Worker) are added where apps are summed.
 */
export function workerRequestsOf(day: UsageCounts): number {
  return day.ingestRequests + day.reads;
}

/**
 * How often the Worker's cron fires (wrangler.toml: hourly). It only wakes the stores of apps with
 * rules in the config; each store evaluates its rules on its own alarm.
 */
export const CRON_PERIOD_MS = 3_600_000;
/** Cron invocations of the Worker per day, whatever the number of apps. */
export const CRON_INVOCATIONS_PER_DAY = DAY_MS / CRON_PERIOD_MS;

function used(day: UsageDay, kind: QuotaKind): number {
  switch (kind) {
    case 'workerRequests': return workerRequestsOf(day);
    case 'storeRequests': return storeRequestsOf(day);
    case 'rowsWritten': return day.rowsWritten;
    case 'rowsRead': return day.rowsRead;
    case 'storedBytes': return day.storedBytes;
  }
}

/**
 * Today's use of each quota with its projection to the end of the UTC day. The rate is taken over
 * the day so far, but never over less than an hour, so that a burst just after midnight does not
 * read as a day's worth.
 */
export function quotasOf(today: UsageDay, now: number, plan: Plan | null, extra: Partial<Record<QuotaKind, number>> = {}): QuotaUse[] {
  const elapsed = Math.max(3_600_000, Math.min(DAY_MS, now - today.day));
  return QUOTA_KINDS.map((kind) => {
    const value = used(today, kind) + (extra[kind] ?? 0);
    const projected = kind === 'storedBytes' ? value : Math.round((value * DAY_MS) / elapsed);
    return { kind, label: QUOTA_LABELS[kind], used: value, projected, limit: plan === 'free' ? PLAN_LIMITS.free.daily[kind] : null };
  });
}

/** One warning per free-plan quota used or projected past WARN_AT of its limit; none on other plans. */
export function warningsOf(quotas: QuotaUse[], scope: string): UsageWarning[] {
  const warnings: UsageWarning[] = [];
  for (const quota of quotas) {
    if (quota.limit === null) continue;
    const share = quota.used / quota.limit;
    const projectedShare = quota.projected / quota.limit;
    if (share < WARN_AT && projectedShare < WARN_AT) continue;
    const used = `${scope} used ${formatQuantity(quota.kind, quota.used)} of the free plan's ${formatQuantity(quota.kind, quota.limit)} ${quota.label}${quota.kind === 'storedBytes' ? '' : ' a day'} (${percent(share)})`;
    const reason = quota.kind === 'storedBytes' || share >= 1
      ? ''
      : `; at today's rate ${formatQuantity(quota.kind, quota.projected)} by 24:00 UTC (${percent(projectedShare)})`;
    const consequence = share >= 1
      ? ': Cloudflare fails further operations of this kind until 00:00 UTC'
      : '';
    warnings.push({ kind: quota.kind, message: `${used}${reason}${consequence}` });
  }
  return warnings;
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** 123456 → "123,456"; bytes in MB/GB. */
export function formatQuantity(kind: QuotaKind, value: number): string {
  if (kind === 'storedBytes') {
    if (value >= 1e9) return `${(value / 1e9).toFixed(2)} GB`;
    return `${(value / 1e6).toFixed(1)} MB`;
  }
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The reports of one app's shards as one report: each day's counts and each instance's summed, the
 * stores' sizes added, quotas and warnings of the sums.
 */
export function mergeUsageReports(reports: readonly UsageReport[]): UsageReport {
  const first = reports[0]!;
  const now = Math.max(...reports.map((r) => r.now));
  const days = new Map<number, UsageDay>();
  const instances = new Map<string, InstanceUsage>();
  for (const report of reports) {
    for (const day of report.days) {
      const sum = days.get(day.day) ?? { day: day.day, ...zeroCounts(), storedBytes: 0 };
      addCounts(sum, day);
      sum.storedBytes += day.storedBytes;
      days.set(day.day, sum);
    }
    for (const instance of report.instances) {
      const sum = instances.get(instance.instance) ?? { instance: instance.instance, ingestRequests: 0, rowsWritten: 0, ingestBytes: 0, events: 0 };
      sum.ingestRequests += instance.ingestRequests;
      sum.rowsWritten += instance.rowsWritten;
      sum.ingestBytes += instance.ingestBytes;
      sum.events += instance.events;
      instances.set(instance.instance, sum);
    }
  }
  const list = [...days.values()].sort((a, b) => b.day - a.day);
  const today = list.find((d) => d.day === dayOf(now)) ?? { day: dayOf(now), ...zeroCounts(), storedBytes: 0 };
  const quotas = quotasOf(today, now, first.plan);
  return {
    app: first.app,
    plan: first.plan,
    now,
    days: list,
    instances: [...instances.values()].sort((a, b) => b.ingestRequests - a.ingestRequests || a.instance.localeCompare(b.instance)),
    quotas,
    warnings: warningsOf(quotas, 'this app'),
    limits: first.limits,
  };
}

/** Today's use summed over every app one key can read, with the Worker's cron: what the plan sees. */
export interface AccountUsage {
  plan: Plan | null;
  now: number;
  day: number;
  apps: Array<{ app: string; today: UsageDay }>;
  /** Cron invocations of the Worker so far today (one an hour, whatever the number of apps). */
  cronInvocations: number;
  quotas: QuotaUse[];
  warnings: UsageWarning[];
}

/** Sums the apps' days (each its store's today) and adds the cron's own Worker invocations. */
export function accountUsageOf(apps: Array<{ app: string; today: UsageDay }>, plan: Plan | null, now: number): AccountUsage {
  const day = dayOf(now);
  const total: UsageDay = { day, ...zeroCounts(), storedBytes: 0 };
  for (const { today } of apps) {
    if (today.day !== day) continue;
    addCounts(total, today);
    total.storedBytes += today.storedBytes;
  }
  // Hourly at minute 0, the day's first at 00:00: at 16:20, 17 of them (00:00 to 16:00).
  const cronInvocations = Math.floor((now - day) / CRON_PERIOD_MS) + 1;
  const quotas = quotasOf(total, now, plan, { workerRequests: cronInvocations });
  return { plan, now, day, apps, cronInvocations, quotas, warnings: warningsOf(quotas, apps.length === 1 ? 'this account' : `these ${apps.length} apps`) };
}

/** What the dashboard's usage panel shows: this app, and the account when the viewer sees several apps. */
export interface UsageView {
  report: UsageReport;
  account: AccountUsage | null;
}
