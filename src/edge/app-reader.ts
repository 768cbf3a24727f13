// The reads of one app over its shards (shards.ts): with one shard, its store's answer as it is;
// with several, every shard is asked at once and the answers merged, each the way its data adds
// up — rollup reads (10-second, minute and hour cells alike, and the live tiles) cell by cell,
// finished by the one query function (core/query/merge-cells.ts),
// listings page by page with a cursor per shard (shard-pages.ts), traces made whole before they are
// filtered and ordered, a trace's spans from every shard,
// instances side by side, counts summed.
import { fromPlainCell, mergeCellLists, type PlainCell } from '../core/query/merge-cells.ts';
import { routeTable, type RouteRow, type RouteSort } from '../core/query/routes.ts';
import { summarise, type Summary } from '../core/query/summary.ts';
import { timeseries, type Timeseries, type TimeseriesColumn } from '../core/query/timeseries.ts';
import type { LiveCell } from '../core/rollup.ts';
import { toMicros } from '../core/wire-format.ts';
import type { UsageReport } from '../core/usage/usage.ts';
import { saturatingAdd } from '../core/value-bounds.ts';
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

/** Rows of a window the sharded trace list reads per request at most: every read is bounded. */
const TRACE_SCAN_ROWS = 5_000;

type TracePart = TraceSummaryPart & { shard: number };

/** A trace's figures over its rows in every shard, as one store's row has them: its root's row (else its earliest) names it. */
function wholeTrace(parts: readonly TracePart[]): TraceSummary {
  const [{ rootKnown: _, shard: __, ...root }] = [...parts].sort((a, b) => Number(b.rootKnown) - Number(a.rootKnown) || a.startTime - b.startTime || a.shard - b.shard) as [TracePart];
  const start = Math.min(...parts.map((p) => p.startTime));
  const end = Math.max(...parts.map((p) => p.startTime + p.duration));
  return parts.length === 1 ? root : { ...root, startTime: start, duration: toMicros(end - start), spanCount: parts.reduce((sum, p) => sum + p.spanCount, 0), error: parts.some((p) => p.error) };
}

/**
 * The trace list over several shards. A trace with rows in several shards is known whole only once
 * they are merged, so every filter and the order apply to whole traces. Shards list their rows of
 * the window, route and method pushed down but rows without the trace's root kept: its earliest row
 * is then listed whenever the trace matches (its root's row names it, else its earliest: wholeTrace).
 * Newest first is exact page by page: a trace is taken at its earliest row, which has its whole start.
 * Slowest first has no such row (a whole outlasts each of its rows): it orders all the rows the read
 * may fetch, and warns when the window holds more.
 */
async function shardedTraces(stores: ReturnType<typeof appStores>, query: Listing<TraceQuery>): Promise<ShardPage<TraceSummary>> {
  const slowest = query.sort === 'slowest';
  const key = (t: TraceSummary): CursorKey => [slowest ? t.duration : t.startTime, t.traceId];
  const before = (a: CursorKey, b: CursorKey) => a[0] > b[0] || (a[0] === b[0] && (a[1] as string) > (b[1] as string));
  const cursor = storeCursor(query.cursor);
  const { cursor: _, errorsOnly: __, minDuration: ___, ...pushed } = query;
  const most = Math.ceil(TRACE_SCAN_ROWS / stores.length);
  // Pages grow (a rare match costs a few calls, a full first page one small read); slowest reads at once.
  const size = stores.map(() => (slowest ? most : Math.min(most, Math.max(query.limit + 1, 100))));
  const rows: TracePart[][] = stores.map(() => []);
  // Where each shard's next page starts (false: done).
  const next: Array<CursorKey | undefined | false> = stores.map(() => (slowest ? undefined : cursor));
  const parts = new Map<string, TracePart[]>();
  const taken = new Set<string>();
  const found: TraceSummary[] = [];
  const warnings: string[] = [];
  let fetched = 0;
  let capped = false;
  let last: CursorKey | undefined;
  let after: CursorKey | undefined;
  for (;;) {
    const empty = stores.flatMap((_, k) => (rows[k]!.length === 0 && next[k] !== false ? [k] : []));
    if (empty.length > 0) {
      if ((capped = fetched >= TRACE_SCAN_ROWS)) {
        // Every trace up to the last row examined is decided: the next page goes on from there.
        after = last ?? cursor;
        break;
      }
      const pages = (await Promise.all(empty.map((k) => stores[k]!.traces({ ...pushed, partRows: true, limit: size[k]!, ...(next[k] && { after: next[k] }) })))) as Array<ShardPage<TraceSummaryPart>>;
      // Traces first seen now, and the shards that listed them: the others are asked for their parts.
      const fresh = new Map<string, Set<number>>();
      pages.forEach(({ items, nextCursor, warnings: more = [] }, i) => {
        const k = empty[i]!;
        rows[k] = items.map((t) => ({ ...t, shard: k }));
        next[k] = nextCursor !== null && items.length > 0 && key(items.at(-1)!);
        size[k] = Math.min(1_000, most, size[k]! * 4);
        fetched += items.length;
        warnings.push(...more);
        for (const t of rows[k]!) {
          if (parts.has(t.traceId) && !fresh.has(t.traceId)) continue;
          if (!fresh.has(t.traceId)) fresh.set(t.traceId, new Set()), parts.set(t.traceId, []);
          fresh.get(t.traceId)!.add(k);
          parts.get(t.traceId)!.push(t);
        }
      });
      await Promise.all(stores.map(async (store, shard) => {
        const ids = [...fresh].flatMap(([id, by]) => (by.has(shard) ? [] : [id]));
        for (let at = 0; at < ids.length; at += 1_000) {
          for (const part of (await store.traceParts(ids.slice(at, at + 1_000))) as TraceSummaryPart[]) parts.get(part.traceId)?.push({ ...part, shard });
        }
      }));
    }
    let k = -1;
    rows.forEach((list, j) => {
      if (list.length > 0 && (k < 0 || before(key(list[0]!), key(rows[k]![0]!)))) k = j;
    });
    if (k < 0) break;
    const row = rows[k]!.shift()!;
    last = key(row);
    const whole = wholeTrace(parts.get(row.traceId)!);
    if (taken.has(row.traceId) || (!slowest && whole.startTime !== row.startTime)) continue;
    taken.add(row.traceId);
    if (!traceMatches(whole, query)) continue;
    if (!slowest && found.length === query.limit) {
      after = key(found.at(-1)!);
      break;
    }
    found.push(whole);
  }
  let items = found;
  if (!slowest && capped && found.length < query.limit) warnings.push(`${fetched} trace rows were examined: more traces may match further back (the next page goes on)`);
  if (slowest) {
    if (capped) warnings.push(`at most ${TRACE_SCAN_ROWS} traces are ordered by duration: narrow the window to order them all`);
    const rest = found.sort((a, b) => (before(key(a), key(b)) ? -1 : 1)).filter((t) => !cursor || before(cursor, key(t)));
    items = rest.slice(0, query.limit);
    after = rest.length > query.limit ? key(items.at(-1)!) : undefined;
  }
  return { items, nextCursor: after ? encodeCursor(after) : null, ...(warnings.length > 0 && { warnings: [...new Set(warnings)] }) };
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
        inFlight: counts.length === 0 ? null : counts.reduce((sum, count) => saturatingAdd(sum, count), 0),
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
      if (stores.length > 1) return shardedTraces(stores, query);
      return (await stores[0]!.traces({ ...query, ...(query.cursor !== undefined && { after: storeCursor(query.cursor) }) })) as ShardPage<TraceSummary>;
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
      // A raise of SHARDS moves instances: one seen in two shards is listed once, its figures over both.
      const byName = new Map<string, InstanceRecord>();
      for (const record of lists.flat()) {
        const seen = byName.get(record.instance);
        byName.set(record.instance, seen === undefined ? record : mergedInstance(seen, record));
      }
      return [...byName.values()].sort((a, b) => b.lastSeen - a.lastSeen || a.instance.localeCompare(b.instance));
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

/** The latest shard's record of an instance, with its first sight, batches and losses over both. */
function mergedInstance(a: InstanceRecord, b: InstanceRecord): InstanceRecord {
  const [latest, older] = a.lastSeen >= b.lastSeen ? [a, b] : [b, a];
  const dropped = { ...latest.dropped };
  for (const key of Object.keys(dropped) as Array<keyof typeof dropped>) dropped[key] = saturatingAdd(dropped[key], older.dropped[key]);
  return { ...latest, firstSeen: Math.min(a.firstSeen, b.firstSeen), batches: a.batches + b.batches, dropped, requestsLostAt: latest.requestsLostAt ?? older.requestsLostAt };
}
