// The reads of one app over its shards (shards.ts): with one shard, its store's answer as it is;
// with several, every shard is asked at once and the answers merged, each the way its data adds
// up — listings page by page with a cursor per shard (shard-pages.ts), a trace's spans from every
// shard, instances side by side, counts summed. Rollup reads merge cells (see rollupReads).
import type { UsageReport } from '../core/usage/usage.ts';
import { mergeUsageReports } from '../core/usage/usage.ts';
import { appStores } from './app-stub.ts';
import type { Env } from './env.ts';
import { badParameter } from './http/errors.ts';
import { CursorError, mergePages, type ShardPage } from './shard-pages.ts';
import { decodeCursor, encodeCursor, type CursorKey } from './store/cursor.ts';
import type { InstanceRecord } from './store/instance-guard.ts';
import type { ProfileQuery, ProfileRecord } from './store/profiles.ts';
import type { SampleQuery, SampleRecord } from './store/samples.ts';
import type { StoreStatus } from './store/status.ts';
import type { SpanRecord, TraceQuery, TraceSummary } from './store/traces.ts';
import type { Warnings } from './store/unreadable.ts';

/** A listing query as the API takes it: the cursor as the client sent it. */
type Listing<Q extends { after?: CursorKey }> = Omit<Q, 'after'> & { cursor?: string };

export type StoreStatusOfShards = StoreStatus & { now: number; nextAlarm: number | null; shards: number };

function storeCursor(text: string | undefined): CursorKey | undefined {
  if (text === undefined) return undefined;
  const key = decodeCursor(text);
  if (key === null) throw badParameter('cursor: expected a cursor from a previous page');
  return key;
}

/** Merges pages of every shard; a cursor that is not one of ours is the client's mistake (400). */
async function listing<T>(stores: readonly unknown[], cursor: string | undefined, limit: number, page: (k: number, after: CursorKey | undefined, limit: number) => Promise<ShardPage<T>>,
  compare: (a: T, b: T) => number, keyOf: (item: T) => CursorKey): Promise<ShardPage<T>> {
  if (stores.length === 1) return page(0, storeCursor(cursor), limit);
  try {
    return await mergePages({
      shards: stores.length, limit, cursor,
      page: (k, after, n) => page(k, storeCursor(after), n),
      compare, cursorAfter: (item) => encodeCursor(keyOf(item)),
    });
  } catch (error) {
    if (error instanceof CursorError) throw badParameter(error.message);
    throw error;
  }
}

export function appReader(env: Pick<Env, 'APP_STORE' | 'SHARDS'>, app: string) {
  const stores = appStores(env, app);
  return {
    shards: stores.length,

    samples: (query: Listing<SampleQuery>) => listing<SampleRecord>(stores, query.cursor, query.limit,
      async (k, after, limit) => (await stores[k]!.samples({ ...query, limit, ...(after && { after }) })) as ShardPage<SampleRecord>,
      (a, b) => b.timestamp - a.timestamp || b.id - a.id, (s) => [s.timestamp, s.id]),

    traces: (query: Listing<TraceQuery>) => {
      const key = (t: TraceSummary): number => (query.sort === 'slowest' ? t.duration : t.startTime);
      return listing<TraceSummary>(stores, query.cursor, query.limit,
        async (k, after, limit) => (await stores[k]!.traces({ ...query, limit, ...(after && { after }) })) as ShardPage<TraceSummary>,
        (a, b) => key(b) - key(a) || (b.traceId < a.traceId ? -1 : b.traceId > a.traceId ? 1 : 0), (t) => [key(t), t.traceId]);
    },

    profiles: (query: Listing<ProfileQuery>) => listing<ProfileRecord>(stores, query.cursor, query.limit,
      async (k, after, limit) => (await stores[k]!.profiles({ ...query, limit, ...(after && { after }) })) as ShardPage<ProfileRecord>,
      (a, b) => a.timestamp - b.timestamp || a.id - b.id, (p) => [p.timestamp, p.id]),

    /** A trace's spans from every shard (its instances may be in several), by start time. */
    async trace(traceId: string): Promise<({ traceId: string; spans: SpanRecord[] } & Warnings) | null> {
      const parts = (await Promise.all(stores.map((store) => store.trace(traceId)))) as Array<({ traceId: string; spans: SpanRecord[] } & Warnings) | null>;
      const found = parts.filter((part) => part !== null);
      if (found.length === 0) return null;
      if (found.length === 1) return found[0]!;
      const spans = found.flatMap((part) => part.spans).sort((a, b) => a.startTime - b.startTime);
      const warnings = found.flatMap((part) => part.warnings ?? []);
      return { traceId, spans, ...(warnings.length > 0 && { warnings }) };
    },

    /** Every instance, most recently seen first: an instance's batches all go to one shard. */
    async instances(): Promise<InstanceRecord[]> {
      const lists = (await Promise.all(stores.map((store) => store.instances()))) as InstanceRecord[][];
      if (lists.length === 1) return lists[0]!;
      return lists.flat().sort((a, b) => b.lastSeen - a.lastSeen || a.instance.localeCompare(b.instance));
    },

    /** Row counts summed; caps, watermarks and maintenance are each shard's: shard 0's are shown, the rest in `perShard`. */
    async status(): Promise<StoreStatusOfShards & { perShard?: StoreStatusOfShards[] }> {
      const all = (await Promise.all(stores.map((store) => store.status()))) as Array<StoreStatus & { now: number; nextAlarm: number | null }>;
      const first = { ...all[0]!, shards: stores.length };
      if (all.length === 1) return first;
      const rows = { ...first.rows };
      for (const status of all.slice(1)) for (const key of Object.keys(rows) as Array<keyof typeof rows>) rows[key] += status.rows[key];
      const databaseBytes = all.reduce((sum, s) => sum + s.databaseBytes, 0);
      return { ...first, rows, databaseBytes, perShard: all.map((s) => ({ ...s, shards: stores.length })) };
    },

    async usageReport(days: number): Promise<UsageReport> {
      const reports = (await Promise.all(stores.map((store) => store.usageReport(days)))) as UsageReport[];
      return reports.length === 1 ? reports[0]! : mergeUsageReports(reports);
    },

    /** The store every alerting read and change goes to. */
    alerting: stores[0]!,
    stores,
  };
}

export type AppReader = ReturnType<typeof appReader>;
