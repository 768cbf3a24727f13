// The reads of one app over its shards (shards.ts): with one shard, its store's answer as it is;
// with several, every shard is asked at once and the answers merged, each the way its data adds
// up — rollup reads (10-second, minute and hour cells alike, and the live tiles) cell by cell,
// finished by the one query function (core/query/merge-cells.ts),
// listings page by page with a cursor per shard (shard-pages.ts), a trace's spans from every shard,
// instances side by side, counts summed.
import { fromPlainCell, mergeCellLists, type PlainCell } from '../core/query/merge-cells.ts';
import { routeTable, type RouteRow, type RouteSort } from '../core/query/routes.ts';
import { summarise, type Summary } from '../core/query/summary.ts';
import { timeseries, type Timeseries, type TimeseriesColumn } from '../core/query/timeseries.ts';
import type { LiveCell } from '../core/rollup.ts';
import type { UsageReport } from '../core/usage/usage.ts';
import { RESOLUTION_MS } from '../core/query/window.ts';
import type { LiveSummary, RollupQuery } from './app-store.ts';
import { mergeUsageReports } from '../core/usage/usage.ts';
import { appStores } from './app-stub.ts';
import type { Env } from './env.ts';
import { readSettings, type SettingsVar } from './settings.ts';
import { badParameter } from './http/errors.ts';
import { CursorError, mergePages, type ShardPage } from './shard-pages.ts';
import { decodeCursor, encodeCursor, type CursorKey } from './store/cursor.ts';
import type { InstanceRecord } from './store/instance-guard.ts';
import { liveCells, type LiveState } from './store/live.ts';
import type { CellFilter } from './store/queries.ts';
import type { ProfileQuery, ProfileRecord } from './store/profiles.ts';
import type { SampleQuery, SampleRecord } from './store/samples.ts';
import type { StoreStatus } from './store/status.ts';
import type { SpanRecord, TraceQuery, TraceSummary } from './store/traces.ts';
import { traceMatches, type TraceSummaryPart } from './store/trace-summaries.ts';
import type { Warnings } from './store/unreadable.ts';
import type { UsageToday } from './usage/usage-counter.ts';

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

/**
 * A page's traces made whole: a trace with rows in several shards is listed once, with the start,
 * end, span count and errors of all its rows, by the first of its rows the query lists (`listed`),
 * the one holding its root span first, then the earliest; its other rows' entries are left out
 * (the trace is listed by that row, on this page or another). `parts[k]`: shard k's rows.
 */
export function wholeTraces(items: ReadonlyArray<TraceSummary & { shard: number }>, parts: ReadonlyArray<readonly TraceSummaryPart[]>, listed: (part: TraceSummaryPart) => boolean): TraceSummary[] {
  const rows = new Map<string, Array<TraceSummaryPart & { shard: number }>>();
  parts.forEach((list, shard) => {
    for (const part of list) {
      const known = rows.get(part.traceId);
      if (known === undefined) rows.set(part.traceId, [{ ...part, shard }]);
      else known.push({ ...part, shard });
    }
  });
  const whole: TraceSummary[] = [];
  for (const { shard, ...item } of items) {
    const all = rows.get(item.traceId) ?? [];
    if (all.length < 2) {
      whole.push(item);
      continue;
    }
    const ordered = [...all].sort((a, b) => Number(b.rootKnown) - Number(a.rootKnown) || a.startTime - b.startTime || a.shard - b.shard);
    // The row that lists it: a filter (errors only, a route, the window's start) may pass over its root's.
    const lister = ordered.find(listed) ?? ordered[0]!;
    if (lister.shard !== shard) continue;
    const owner = ordered[0]!;
    const start = Math.min(...all.map((p) => p.startTime));
    const end = Math.max(...all.map((p) => p.startTime + p.duration));
    const { rootKnown: _, shard: __, ...root } = owner;
    whole.push({ ...root, startTime: start, duration: end - start, spanCount: all.reduce((sum, p) => sum + p.spanCount, 0), error: all.some((p) => p.error) });
  }
  return whole;
}

/** Every shard's cells of a rollup query, merged cell by cell; cells that do not decode are counted in the warnings. */
async function mergedCells(stores: ReturnType<typeof appStores>, query: RollupQuery & { perRoute: boolean; wholeWindow: boolean }): Promise<{ cells: LiveCell[] } & Warnings> {
  const parts = (await Promise.all(stores.map((store) => store.rollupCells(query)))) as Array<{ cells: PlainCell[] } & Warnings>;
  const warnings = parts.flatMap((part) => part.warnings ?? []);
  let undecoded = 0;
  const lists = parts.map((part) => part.cells.flatMap((cell) => {
    try {
      return [fromPlainCell(cell)];
    } catch {
      undecoded++;
      return [];
    }
  }));
  if (undecoded > 0) warnings.push(`${undecoded} cells from the app's shards could not be read and were left out`);
  return { cells: mergeCellLists(lists), ...(warnings.length > 0 && { warnings }) };
}

export function appReader(env: Pick<Env, 'APP_STORE' | 'SHARDS' | SettingsVar>, app: string) {
  const stores = appStores(env, app);
  return {
    shards: stores.length,

    async summary(query: RollupQuery & { app: string }): Promise<Summary & Warnings> {
      if (stores.length === 1) return (await stores[0]!.summary(query)) as Summary & Warnings;
      const { window, apdexThresholdMs } = query;
      const { cells, warnings } = await mergedCells(stores, { ...query, perRoute: false, wholeWindow: true });
      return { ...summarise(cells, { app, ...window, apdexThresholdMs }), ...(warnings && { warnings }) };
    },

    /**
     * The live tiles over every shard: the window ends where every instance of every shard has
     * reported (the earliest shard's horizon), its cells merged; requests in flight summed.
     */
    async live(query: CellFilter & { app: string; apdexThresholdMs: number }): Promise<LiveSummary & Warnings> {
      if (stores.length === 1) return (await stores[0]!.live(query)) as LiveSummary & Warnings;
      const states = (await Promise.all(stores.map((store) => store.liveState()))) as LiveState[];
      const { from, to, resolution } = liveCells(Math.min(...states.map((state) => state.horizon)), query, readSettings(env).tenSecondRoutes);
      const window = { from, to, until: to, step: RESOLUTION_MS[resolution], resolution };
      const { cells, warnings } = await mergedCells(stores, { ...query, window, perRoute: false, wholeWindow: false });
      const counts = states.flatMap((state) => (state.inFlight === null ? [] : [state.inFlight]));
      return {
        ...summarise(cells, { app, ...window, apdexThresholdMs: query.apdexThresholdMs }),
        inFlight: counts.length === 0 ? null : counts.reduce((sum, count) => sum + count, 0),
        ...(warnings && { warnings }),
      };
    },

    async timeseries(query: RollupQuery & { columns: TimeseriesColumn[] }): Promise<Timeseries & Warnings> {
      if (stores.length === 1) return (await stores[0]!.timeseries(query)) as Timeseries & Warnings;
      const { window } = query;
      const { cells, warnings } = await mergedCells(stores, { ...query, perRoute: false, wholeWindow: false });
      return { ...timeseries(cells, { ...window, columns: query.columns, apdexThresholdMs: query.apdexThresholdMs }), ...(warnings && { warnings }) };
    },

    async routes(query: RollupQuery & { sort?: RouteSort; order?: 'asc' | 'desc'; limit?: number }): Promise<{ rows: RouteRow[] } & Warnings> {
      if (stores.length === 1) return (await stores[0]!.routes(query)) as { rows: RouteRow[] } & Warnings;
      const { window } = query;
      const { cells, warnings } = await mergedCells(stores, { ...query, perRoute: true, wholeWindow: true });
      return { rows: routeTable(cells, { ...query, from: window.from, to: window.to, until: window.until }), ...(warnings && { warnings }) };
    },

    samples: (query: Listing<SampleQuery>) => listing<SampleRecord>(stores, query.cursor, query.limit,
      async (k, after, limit) => (await stores[k]!.samples({ ...query, limit, ...(after && { after }) })) as ShardPage<SampleRecord>,
      (a, b) => b.timestamp - a.timestamp || b.id - a.id, (s) => [s.timestamp, s.id]),

    traces: async (query: Listing<TraceQuery>): Promise<ShardPage<TraceSummary>> => {
      const key = (t: TraceSummary): number => (query.sort === 'slowest' ? t.duration : t.startTime);
      if (stores.length === 1) return (await stores[0]!.traces({ ...query, ...(query.cursor !== undefined && { after: storeCursor(query.cursor) }) })) as ShardPage<TraceSummary>;
      const page = await listing<TraceSummary & { shard: number }>(stores, query.cursor, query.limit,
        async (k, after, limit) => {
          const part = (await stores[k]!.traces({ ...query, limit, ...(after && { after }) })) as ShardPage<TraceSummary>;
          return { ...part, items: part.items.map((item) => ({ ...item, shard: k })) };
        },
        (a, b) => key(b) - key(a) || (b.traceId < a.traceId ? -1 : b.traceId > a.traceId ? 1 : 0), (t) => [key(t), t.traceId]);
      if (page.items.length === 0) return page;
      // A trace whose spans came from instances of several shards has a row in each.
      const ids = page.items.map((item) => item.traceId);
      const parts = (await Promise.all(stores.map((store) => store.traceParts(ids)))) as TraceSummaryPart[][];
      return { ...page, items: wholeTraces(page.items, parts, (part) => traceMatches(part, query)) };
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

    /** Today's use and warnings: one store's counts as they stand, or every shard's summed. */
    async usageToday(): Promise<UsageToday> {
      if (stores.length === 1) return (await stores[0]!.usageToday()) as UsageToday;
      const { days, plan, quotas, warnings } = await this.usageReport(1);
      return { day: days[0]!.day, plan, quotas, warnings };
    },

    /** The store every alerting read and change goes to. */
    alerting: stores[0]!,
    stores,
  };
}

export type AppReader = ReturnType<typeof appReader>;
