// What a Cloudflare plan allows the edge, as Cloudflare's pricing and limits pages state it (read
// July 2026): https://developers.cloudflare.com/workers/platform/limits/,
// https://developers.cloudflare.com/workers/platform/pricing/ and
// https://developers.cloudflare.com/durable-objects/platform/pricing/. The free plan fails further
// operations of a kind once its daily quota is spent (quotas reset at 00:00 UTC, for the whole
// account); the paid plan bills past a monthly inclusion instead.

export const PLANS = ['free', 'paid'] as const;
export type Plan = (typeof PLANS)[number];

/** The metered kinds the edge counts, in the order they are shown. */
export const QUOTA_KINDS = ['workerRequests', 'storeRequests', 'rowsWritten', 'rowsRead', 'storedBytes'] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];

export const QUOTA_LABELS: Record<QuotaKind, string> = {
  workerRequests: 'Worker requests',
  storeRequests: 'Durable Object requests',
  rowsWritten: 'SQLite rows written',
  rowsRead: 'SQLite rows read',
  storedBytes: 'SQLite storage',
};

export interface FreeLimits {
  plan: 'free';
  /** Per UTC day for the account (storage: in total). */
  daily: Record<QuotaKind, number>;
  /** CPU time of one Worker invocation, ms. */
  cpuMsPerInvocation: number;
}

export interface PaidLimits {
  plan: 'paid';
  /** Included per month for the account, then billed at `pricePerMillion` (storage: GB-months, per GB). */
  monthlyIncluded: Record<QuotaKind, number>;
  /** US dollars per million past the inclusion (storage: per GB-month). */
  pricePerMillion: Record<QuotaKind, number>;
  cpuMsPerInvocation: number;
}

export type PlanLimits = FreeLimits | PaidLimits;

const GB = 1e9;

export const PLAN_LIMITS: { free: FreeLimits; paid: PaidLimits } = {
  free: {
    plan: 'free',
    daily: { workerRequests: 100_000, storeRequests: 100_000, rowsWritten: 100_000, rowsRead: 5_000_000, storedBytes: 5 * GB },
    cpuMsPerInvocation: 10,
  },
  paid: {
    plan: 'paid',
    monthlyIncluded: { workerRequests: 10_000_000, storeRequests: 1_000_000, rowsWritten: 50_000_000, rowsRead: 25_000_000_000, storedBytes: 5 * GB },
    // Storage is priced per GB-month: $0.20, i.e. per 1e9 bytes held a month; kept in the same unit below.
    pricePerMillion: { workerRequests: 0.3, storeRequests: 0.15, rowsWritten: 1, rowsRead: 0.001, storedBytes: 0.2 },
    // Workers Paid allows up to 5 minutes; 30 s is the default.
    cpuMsPerInvocation: 30_000,
  },
};

/** The plan named by the `PLAN` var; throws a RangeError naming it otherwise. Unset: not known. */
export function parsePlan(raw: string | undefined): Plan | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = raw.trim().toLowerCase();
  if ((PLANS as readonly string[]).includes(value)) return value as Plan;
  throw new RangeError(`PLAN: expected one of ${PLANS.join(', ')}, got ${JSON.stringify(raw.slice(0, 32))}`);
}
