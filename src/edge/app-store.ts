// AppStore: one Durable Object per app, holding its data in SQLite. Thin on purpose: each RPC
// method calls a function of ./store with the storage interface, the settings and the time.
import { DurableObject } from 'cloudflare:workers';
import { routeTable, type RouteRow, type RouteSort } from '../core/query/routes.ts';
import { summarise, type Summary } from '../core/query/summary.ts';
import { timeseries, type Timeseries, type TimeseriesColumn } from '../core/query/timeseries.ts';
import type { QueryWindow } from '../core/query/window.ts';
import { minuteOf } from '../core/rollup.ts';
import { toPlainCell, type PlainCell } from '../core/query/merge-cells.ts';
import type { Batch } from '../core/wire-format.ts';
import { EmailMessage } from 'cloudflare:email';
import type { AlertNotification } from '../core/alerts/notification.ts';
import type { AlertData } from '../core/alerts/alert-data.ts';
import type { DataRequest } from '../core/alerts/alert-engine.ts';
import { plainAlertData } from './alerting/load-alert-data.ts';
import { readAlertConfig, type AlertConfigVar } from './alerting/alert-config.ts';
import type { CodeRules } from './alerting/code-rules.ts';
import { EdgeAlerting, type AlertsView, type ListedRule, type RuleChange, type TickReport } from './alerting/edge-alerting.ts';
import type { Env } from './env.ts';
import { readSettings, type Settings, type SettingsVar } from './settings.ts';
import { parseShardName, readShards, shardName } from './shards.ts';
import { exportPage, type ExportKind, type ExportPage } from './store/export-pages.ts';
import { batchIdsKeptMs, receivedAt } from './store/batch-ids.ts';
import { foldBatches, type FoldTarget } from './store/fold.ts';
import { eventsIn, ingestBatch, type IngestOutcome } from './store/ingest-batch.ts';
import { PendingLog } from './store/pending-log.ts';
import { InstanceGuard, listInstances, type InstanceRecord } from './store/instance-guard.ts';
import { hasData as storeHasData, runMaintenance, type MaintenanceReport } from './store/maintenance.ts';
import { getMetaNumber, getMetaString, setMeta } from './store/meta.ts';
import { alarmEvaluates, maintenanceDue, nextEvaluation, nextWake } from './store/wake-schedule.ts';
import { migrate } from './store/migrations.ts';
import { listProfiles, type ProfileQuery, type ProfileRecord } from './store/profiles.ts';
import { inFlight, liveCells, LIVE_WINDOW_MS, liveHorizon, type LiveState } from './store/live.ts';
import { readWindowCells, type CellFilter } from './store/queries.ts';
import { TokenBucket } from './store/rate-limit.ts';
import { RouteGuard } from './store/route-guard.ts';
import { routesOf, SharedRoutes } from './store/shared-routes.ts';
import { listSamples, type Page, type SampleQuery, type SampleRecord } from './store/samples.ts';
import { durableObjectSql } from './store/durable-object-sql.ts';
import type { Sql } from './store/sql.ts';
import { storeStatus, type StoreStatus } from './store/status.ts';
import { getTrace, listTraces, type SpanRecord, type TraceQuery, type TraceSummary } from './store/traces.ts';
import { traceParts, type TraceSummaryPart } from './store/trace-summaries.ts';
import { UnreadableRows, type Warnings } from './store/unreadable.ts';
import type { UsageReport } from '../core/usage/usage.ts';
import { countCallsWith, countStoreCalls } from './usage/count-store-calls.ts';
import { SqlMeter } from './usage/sql-meter.ts';
import { routeHint } from '../core/alerts/route-hint.ts';
import { heartbeatProblems } from './alerting/rule-catalog.ts';
import { UsageCounter, type UsageToday } from './usage/usage-counter.ts';
import { decodeIngest, isRefusal, OTHER_SHARD, type IngestRefusal, type IngestRequest } from './ingest/decode-ingest.ts';

/** The live tiles' figures: a summary of the live window, and the requests in flight (null when unknown). */
export type LiveSummary = Summary & { inFlight: number | null };

export interface RollupQuery extends CellFilter {
  window: QueryWindow;
  apdexThresholdMs: number;
}

/** What the store reads of the Worker's env: its settings, the alerting vars and the send_email binding. */
export type AppStoreEnv = Pick<Env, SettingsVar | AlertConfigVar | 'EMAIL' | 'APP_STORE' | 'SHARDS'>;

/**
 * The store of one app. The runtime constructs the Worker entry's subclass, which passes the rules
 * of alerts.config.ts (see worker.ts): code rules reach the store as a value, not through a global.
 */
export class AppStore extends DurableObject<AppStoreEnv> {
  protected readonly sql: Sql;
  protected readonly settings: Settings;
  private routeGuard!: RouteGuard;
  private instanceGuard!: InstanceGuard;
  private readonly limiter: TokenBucket | null;
  /** When the alarm is set for (wall time), null when none; undefined until read from storage. */
  private alarmAt: number | null | undefined;
  /** The next alarm runs maintenance whether or not it is due (the local runtime's fireAlarmNow). */
  protected forceMaintenance = false;
  private readonly alerting: EdgeAlerting;
  private appName: string | undefined;
  /** Rows read and written, for the usage counts (src/edge/usage). */
  private readonly meter = new SqlMeter();
  private usageCounter: UsageCounter | undefined;
  /** Batches taken and not yet folded into the tables. */
  private log!: PendingLog;
  /** Which shard of its app this store is (0: the app's own, which holds its alerting and decides its routes). */
  private readonly shard: number;
  /** A shard k > 0's link to shard 0's route guard (null in shard 0: an app of one shard makes no call). */
  private readonly sharedRoutes: SharedRoutes | null;

  constructor(ctx: DurableObjectState, env: AppStoreEnv, codeRules: CodeRules) {
    super(ctx, env);
    this.sql = this.meter.wrap(durableObjectSql(ctx.storage));
    countCallsWith(this, () => this.usage);
    this.settings = readSettings(env);
    this.limiter = this.settings.ingestRateLimit > 0 ? new TokenBucket(this.settings.ingestRateLimit, Date.now()) : null;
    // Shard 0 holds the app's alerting and reads the other shards' data when it evaluates.
    this.shard = ctx.id.name === undefined ? 0 : parseShardName(ctx.id.name).shard;
    this.alerting = new EdgeAlerting({
      sql: this.sql,
      app: () => this.app(),
      codeRules,
      config: () => readAlertConfig(env),
      sendEmail: env.EMAIL === undefined ? undefined : (from, to, raw) => env.EMAIL!.send(new EmailMessage(from, to, raw)),
      remote: async (request) => {
        // The stubs are made here rather than by app-stub.ts, which names this class (no import cycle).
        const app = this.app();
        const others = Array.from({ length: readShards(env)(app) - 1 }, (_, k) =>
          env.APP_STORE.get(env.APP_STORE.idFromName(shardName(app, k + 1))) as DurableObjectStub<AppStore>);
        return (await Promise.all(others.map((store) => store.alertData(request)))) as AlertData[];
      },
    });
    // ROUTE_CAP counts the app's routes, not each shard's: shard 0 decides which (store/shared-routes.ts).
    this.sharedRoutes = this.shard === 0 ? null : new SharedRoutes(async (routes) => {
      const first = env.APP_STORE.get(env.APP_STORE.idFromName(shardName(this.app(), 0))) as DurableObjectStub<AppStore>;
      return (await first.admitRoutes(routes)) as string[];
    });
    void ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql);
      this.log = new PendingLog(this.sql);
      const recovered = this.log.recover();
      if (recovered.unreadable > 0) console.error(`bun-apm edge: ${recovered.unreadable} logged batches could not be read back and were left out`);
      this.loadGuards();
    });
  }

  /** The time the store works in. The local runtime's subclass moves it, so tests need not wait. */
  protected now(): number {
    return Date.now();
  }

  /** The guards from their tables, with the instances of batches not folded yet (taken, so known). */
  private loadGuards(): void {
    this.routeGuard = new RouteGuard(this.sql, this.settings.routeCap, { decides: this.shard === 0 });
    this.instanceGuard = new InstanceGuard(this.sql, this.settings.instanceCap);
    for (const { instance } of this.log.batches()) this.instanceGuard.admit(instance);
  }

  private foldTarget(): FoldTarget {
    const { minuteRetentionMs, tenSecondRetentionMs, tenSecondRoutes } = this.settings;
    return { sql: this.sql, routes: this.routeGuard, instances: this.instanceGuard, minuteRetentionMs, tenSecondRetentionMs, tenSecondRoutes };
  }

  /**
   * Folds the batches taken since the last fold into the tables: before every read of them, before
   * maintenance and evaluation, and from ingest when the log is full (store/pending-log.ts). Also an
   * RPC method: tests and benchmarks fold on demand.
   */
  foldNow(): void {
    if (this.log.size === 0) return;
    let minutes: Set<number>;
    try {
      minutes = this.sql.transaction(() => {
        const report = foldBatches(this.foldTarget(), this.log.batches(), this.now());
        this.log.markFolded();
        if (report.replaced > 0) console.warn(`bun-apm edge: app ${this.app()}: ${report.replaced} stored rollup rows could not be read and were replaced by newer cells`);
        return report.minutes;
      });
    } catch (error) {
      // Rolled back: the batches stay logged and held; the guards may have admitted routes never stored.
      this.loadGuards();
      throw error;
    }
    this.log.clear();
    this.alerting.cellsChanged(minutes);
  }

  /** What this store costs per day (made on first use: the local runtime's clock is set by then). */
  private get usage(): UsageCounter {
    this.usageCounter ??= new UsageCounter(this.sql, this.meter, this.settings.instanceCap, () => this.now());
    return this.usageCounter;
  }

  /**
   * Decodes a body as the Worker received it (inflate, parse, validate: src/edge/ingest) and stores
   * the batch once; `refused` says why a body is not a batch, `overloaded` that the app is past its
   * ingest rate limit. The answer carries today's usage of the app.
   */
  async ingest(request: IngestRequest): Promise<(IngestOutcome | IngestRefusal) & { usage: UsageToday }> {
    const now = this.now();
    this.usage.beforeIngest();
    const wireBytes = request.bytes.byteLength;
    const batch = await decodeIngest(request, { maxDecompressedBytes: this.settings.maxDecompressedBytes, maxAgeMs: this.settings.maxBatchAgeMs, now: Date.now() });
    if (isRefusal(batch)) {
      // Handed on to its shard, which counts the ingest: here a store request only (not a Worker request).
      if (batch.error.code === OTHER_SHARD) this.usage.call('ticks');
      else this.usage.afterIngest(null, wireBytes, 0);
      return { ...batch, usage: this.usage.today(this.settings.plan) };
    }
    this.rememberApp(batch.identity.app);
    const limiter = this.limiter;
    let admit = limiter ? (events: number) => limiter.take(events, Date.now()) : undefined;
    // A duplicate asks nothing of shard 0 (the transaction below answers it as one).
    if (this.sharedRoutes !== null && receivedAt(this.sql, batch.batchId, now, batchIdsKeptMs(this.settings.maxBatchAgeMs)) === null) {
      // Within the rate limit first: a batch refused as over it must take no place under the cap.
      const within = admit?.(eventsIn(batch));
      if (within?.ok === false) {
        this.usage.afterIngest(batch.identity.instance, wireBytes, 0);
        return { status: 'overloaded', retryAfterSeconds: within.retryAfterSeconds, usage: this.usage.today(this.settings.plan) };
      }
      admit = undefined; // taken
      try {
        await this.sharedRoutes.prepare(() => this.routeGuard, routesOf(batch), now);
      } catch (error) {
        // Shard 0 did not answer about routes new here. Storing them under `other` would leave the
        // per-route rows wrong for good; refused with a 503 the batch stays with its client, which
        // sends it again (routes known here are stored without an answer: prepare says which).
        console.warn(`bun-apm edge: app ${this.app()}: shard 0 did not answer which routes the app admits (${(error as Error)?.message ?? error})`);
        limiter?.giveBack(eventsIn(batch));
        this.usage.afterIngest(null, wireBytes, 0);
        const error503 = { status: 503, code: 'unavailable', message: 'the store that keeps this app\'s routes is briefly unavailable; retry later', details: {}, headers: { 'retry-after': '1' } };
        return { status: 'refused', error: error503, usage: this.usage.today(this.settings.plan) };
      }
    }
    let taken: ReturnType<typeof ingestBatch>;
    const checkpoint = this.log.checkpoint();
    try {
      taken = ingestBatch({ ...this.foldTarget(), batchIdsKeptMs: batchIdsKeptMs(this.settings.maxBatchAgeMs), admit, log: this.log }, batch, now);
    } catch (error) {
      // The transaction rolled back; the guards' in-memory sets and the log may hold what it never stored.
      this.log.rollback(checkpoint);
      this.loadGuards();
      this.usage.afterIngest(batch.identity.instance, wireBytes, 0);
      throw error;
    }
    const { folded, minutes, ...outcome } = taken;
    if (folded) {
      this.log.clear();
      this.alerting.cellsChanged(minutes!);
    }
    const accepted = outcome.status === 'accepted';
    const overflowed = outcome.status === 'accepted' && outcome.overflow.instance;
    this.usage.afterIngest(overflowed ? 'other' : batch.identity.instance, wireBytes, accepted ? eventsIn(batch) : 0);
    // The batch is stored: a failure to set the alarm now is logged, not answered (the client would send the batch again).
    if (accepted) await this.scheduleWake(true).catch((error: unknown) => console.error(`bun-apm edge: setting the alarm of app ${this.app()} after an ingest failed: ${(error as Error)?.message ?? error}`));
    return { ...outcome, usage: this.usage.today(this.settings.plan) };
  }

  /** What the app cost per day over the last `days` days (today included), against the plan. */
  usageReport(days = 7): UsageReport {
    return this.usage.report(this.app(), this.settings.plan, Math.max(1, Math.min(40, Math.floor(days))));
  }

  /** Today's use against the plan, as an ingest answer carries it: what `doctor`'s key check shows. */
  usageToday(): UsageToday {
    return this.usage.today(this.settings.plan);
  }

  /** Writes the usage counts waiting in memory (tests; the store does it every few minutes). */
  flushUsage(): void {
    this.usage.flush();
  }

  // Rollup reads leave out rows that can't be decoded and say so in `warnings` (see store/unreadable.ts).
  summary(query: RollupQuery & { app: string }): Summary & Warnings {
    const { window, apdexThresholdMs, app } = query;
    const unreadable = new UnreadableRows();
    const cells = readWindowCells(this.sql, window, query, { perRoute: false, wholeWindow: true }, unreadable);
    return { ...summarise(cells, { app, ...window, apdexThresholdMs }), ...unreadable.warnings() };
  }

  /**
   * The live tiles: the last 60 s of whole 10-second cells up to where every instance still sending
   * has reported (store/live.ts), and the requests in flight at their latest profiles. Filtered to a
   * route without 10-second rows per route (TEN_SECOND_ROUTES off): the last whole minute.
   */
  live(query: CellFilter & { app: string; apdexThresholdMs: number }): LiveSummary & Warnings {
    const state = this.currentLiveState();
    const { from, to, resolution } = liveCells(state.horizon, query, this.settings.tenSecondRoutes);
    const unreadable = new UnreadableRows();
    const cells = readWindowCells(this.sql, { from, to, resolution }, query, { perRoute: false, wholeWindow: false }, unreadable);
    return {
      ...summarise(cells, { app: query.app, from, to, until: to, resolution, apdexThresholdMs: query.apdexThresholdMs }),
      inFlight: state.inFlight,
      ...unreadable.warnings(),
    };
  }

  /**
   * This store's part of the live tiles: where every instance it holds has reported up to, and its
   * requests in flight. An app with several shards takes the earliest horizon and sums the rest (app-reader.ts).
   */
  liveState(): LiveState {
    return this.currentLiveState();
  }

  /** What liveState() answers, without counting a request (live() asks it too). */
  private currentLiveState(): LiveState {
    const now = this.now();
    return { horizon: liveHorizon(this.sql, now), inFlight: inFlight(this.sql, now - LIVE_WINDOW_MS) };
  }

  timeseries(query: RollupQuery & { columns: TimeseriesColumn[] }): Timeseries & Warnings {
    const { window } = query;
    const unreadable = new UnreadableRows();
    const cells = readWindowCells(this.sql, window, query, { perRoute: false, wholeWindow: false }, unreadable);
    return { ...timeseries(cells, { ...window, columns: query.columns, apdexThresholdMs: query.apdexThresholdMs }), ...unreadable.warnings() };
  }

  routes(query: RollupQuery & { sort?: RouteSort; order?: 'asc' | 'desc'; limit?: number }): { rows: RouteRow[] } & Warnings {
    const { window } = query;
    const unreadable = new UnreadableRows();
    const cells = readWindowCells(this.sql, window, query, { perRoute: true, wholeWindow: true }, unreadable);
    return { rows: routeTable(cells, { ...query, from: window.from, to: window.to, until: window.until }), ...unreadable.warnings() };
  }

  /**
   * The cells a rollup query reads of this store, as plain data: an app with several shards merges
   * every shard's and finishes them with the same query function (app-reader.ts).
   */
  rollupCells(query: RollupQuery & { perRoute: boolean; wholeWindow: boolean }): { cells: PlainCell[] } & Warnings {
    const unreadable = new UnreadableRows();
    const cells = readWindowCells(this.sql, query.window, query, { perRoute: query.perRoute, wholeWindow: query.wholeWindow }, unreadable);
    return { cells: cells.map(toPlainCell), ...unreadable.warnings() };
  }

  samples(query: SampleQuery): Page<SampleRecord> {
    return listSamples(this.sql, query);
  }

  traces(query: TraceQuery): Page<TraceSummary> {
    return listTraces(this.sql, query);
  }

  trace(traceId: string): ({ traceId: string; spans: SpanRecord[] } & Warnings) | null {
    return getTrace(this.sql, traceId);
  }

  /** This shard's rows of these traces (app-reader.ts merges a trace spread over shards). */
  traceParts(ids: string[]): TraceSummaryPart[] {
    return traceParts(this.sql, ids.slice(0, 1_000));
  }

  profiles(query: ProfileQuery): Page<ProfileRecord> {
    return listProfiles(this.sql, query);
  }

  instances(): InstanceRecord[] {
    return listInstances(this.sql);
  }

  /** Row counts, rollup and maintenance progress; `nextAlarm` is null once an idle app's data has all expired. */
  async status(): Promise<StoreStatus & { now: number; nextAlarm: number | null }> {
    const nextAlarm = await this.ctx.storage.getAlarm();
    return { ...storeStatus(this.sql, this.routeGuard, this.instanceGuard), now: this.now(), nextAlarm };
  }

  exportPage(kind: ExportKind, from: number, to: number, after: number, limit: number): ExportPage {
    return exportPage(this.sql, kind, from, to, after, limit);
  }

  /**
   * An every-minute cron's visit (an older wrangler.toml, the local runtime's `/__scheduled`): the
   * rules evaluated once for this scheduled time, then due deliveries sent. While such ticks come,
   * they drive this store's evaluation and its alarm leaves it to them (store/wake-schedule.ts).
   * The time is taken as given (tests and replays name a minute): unlike the alarm's, it does not
   * wait for instances still to report that minute, so batches arriving after it miss it.
   */
  async tick(scheduledTime: number, app?: string): Promise<TickReport> {
    if (app !== undefined) this.rememberApp(app);
    setMeta(this.sql, 'last_tick', scheduledTime);
    setMeta(this.sql, 'cron_tick_at', Date.now());
    try {
      this.foldNow();
      return await this.alerting.tick(scheduledTime);
    } finally {
      await this.scheduleWake();
    }
  }

  /**
   * The hourly cron's visit, to stores of apps with rules in the config: the alarm set if it is not,
   * so rules added to ALERT_RULES or alerts.config.ts reach a store nothing else has woken.
   */
  async wake(app: string): Promise<{ nextAlarm: number | null }> {
    this.rememberApp(app);
    await this.scheduleWake();
    return { nextAlarm: this.alarmAt ?? null };
  }

  /**
   * Shard 0's part of the app's route cap: which of `routes` the app admits (each known, or new within
   * ROUTE_CAP, and then kept), asked by its other shards before they store a batch naming them.
   */
  async admitRoutes(routes: string[]): Promise<string[]> {
    const now = this.now();
    let admitted: string[];
    try {
      admitted = this.sql.transaction(() => routes.filter((route) => this.routeGuard.admit(route, now) === route));
    } catch (error) {
      this.loadGuards();
      throw error;
    }
    // Shard 0 may hold no data of its own (every instance on other shards): its routes table is then
    // what its maintenance keeps, so its alarm must run to forget unused routes and free room.
    await this.scheduleWake().catch((error: unknown) => console.error(`bun-apm edge: setting the alarm of app ${this.app()} after admitting routes failed: ${(error as Error)?.message ?? error}`));
    return admitted;
  }

  /** What an evaluation of the app's rules reads of this shard (shard 0 asks the others each minute). */
  alertData(request: DataRequest): AlertData {
    return plainAlertData(this.sql, request);
  }

  /** Active alerts and the newest `limit` notifications (default 100), with their deliveries. */
  alerts(limit = 100): AlertsView {
    return this.alerting.alerts(Math.max(1, Math.min(1000, Math.floor(limit))));
  }

  /** Resolves an open alert by hand (and notifies); null when no open alert has this id. */
  resolveAlert(id: string, now: number = this.now()): Promise<AlertNotification | null> {
    return this.alerting.resolveAlert(id, now);
  }

  alertRules(): ListedRule[] {
    return this.alerting.rules();
  }

  async addAlertRule(input: unknown): Promise<RuleChange> {
    const change = this.alerting.addRule(input, this.now());
    if (change.ok) await this.scheduleWake();
    return this.withHints(change);
  }

  async updateAlertRule(id: string, patch: unknown): Promise<RuleChange> {
    const change = this.alerting.updateRule(id, patch, this.now());
    if (change.ok) await this.scheduleWake();
    return this.withHints(change);
  }

  /** A rule taken, with warnings when its route is none the app has had requests on (routeHint) or its heartbeat too short. */
  private withHints(change: RuleChange): RuleChange {
    if (!change.ok) return change;
    const hint = routeHint(change.rule.route, this.routeGuard.routes());
    const warnings = [...(hint === undefined ? [] : [hint]), ...heartbeatProblems([change.rule])];
    return warnings.length === 0 ? change : { ...change, warnings };
  }

  removeAlertRule(id: string): Promise<RuleChange> {
    return this.alerting.removeRule(id, this.now());
  }

  /** The app's name: the object's own (when the runtime gives it), else the one its ticks and batches named. */
  private app(): string {
    if (this.appName !== undefined) return this.appName;
    const name = this.ctx.id.name;
    if (name === undefined) return (this.appName = getMetaString(this.sql, 'app') ?? '');
    // Stored too: an alarm that wakes the object after an eviction gets no name from the runtime, and
    // a name only ever learnt from it had left alerts with an empty app and a dashboard link of none.
    this.rememberApp(parseShardName(name).app);
    return this.appName!;
  }

  private rememberApp(app: string): void {
    if (this.appName === app) return;
    this.appName = app;
    if (getMetaString(this.sql, 'app') !== app) setMeta(this.sql, 'app', app);
  }

  /** Runs maintenance now; the alarm handler and the local runtime's tests call this. */
  protected maintain(): MaintenanceReport {
    // Retention and roll-ups work on the tables: every batch taken is in them first.
    this.foldNow();
    this.alerting.tablesChanged();
    try {
      return runMaintenance({ sql: this.sql, routes: this.routeGuard, instances: this.instanceGuard }, this.now(), this.settings);
    } catch (error) {
      this.loadGuards();
      throw error;
    }
  }

  /**
   * Everything the store does on its own, each when due: its rules evaluated at the minute's start
   * (unless a minute cron drives them), maintenance every interval; then the next wake-up set.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    // Ingest counts waiting are written by any alarm, not only theirs: an app whose rules wake its
    // store each minute then needs no alarm of their own (it had got two a minute: a review).
    if (this.usage.writeDueAt !== null) this.usage.flush();
    const now = this.now();
    try {
      this.foldNow();
      if (alarmEvaluates({ alerting: this.alertingActive(), cronTickAt: getMetaNumber(this.sql, 'cron_tick_at'), wallNow: Date.now() })) {
        // The latest minute whose data is complete: every instance still sending has reported past
        // its end (the live tiles' horizon). Its last batches arrive after the minute ends; a
        // minute evaluated before them never saw its last seconds.
        await this.alerting.tick(minuteOf(Math.min(now, liveHorizon(this.sql, now))));
      }
    } catch (error) {
      // Evaluation failing (a bad rule config) must not stop maintenance; the next minute tries again.
      console.error(`bun-apm edge: alert evaluation of app ${this.app()} failed: ${(error as Error)?.message ?? error}`);
    }
    const lastMaintenance = getMetaNumber(this.sql, 'last_maintenance');
    if (this.forceMaintenance || maintenanceDue({ lastMaintenance, storeNow: now, maintenanceIntervalMs: this.settings.maintenanceIntervalMs })) {
      this.forceMaintenance = false;
      this.maintain();
    }
    // An app that stopped sending stops waking its object once everything has expired (and it has no rules).
    await this.scheduleWake();
  }

  /** Alerting work every minute: only shard 0 has any (the other shards answer its alertData). */
  private alertingActive(): boolean {
    return this.shard === 0 && this.alerting.active();
  }

  /** Sets the alarm for `time` (wall time), whatever was set. */
  protected async setAlarmAt(time: number): Promise<void> {
    await this.ctx.storage.setAlarm(time);
    this.alarmAt = time;
  }

  /** Sets the alarm to the next thing due, if that is sooner than the alarm already set. `hasData`: known true after an ingest. */
  private async scheduleWake(hasData?: boolean): Promise<void> {
    const wallNow = Date.now();
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    const storeNow = this.now();
    // The usage counts' time is the store's clock; alarms are set in wall time.
    const usageDueAt = this.usage.writeDueAt;
    const usageWakeAt = usageDueAt === null ? null : usageDueAt - (storeNow - wallNow);
    // Nothing but waiting usage counts is ever due sooner than the next evaluation: an alarm set by then stands.
    if (this.alarmAt !== null && this.alarmAt <= Math.min(nextEvaluation(wallNow), usageWakeAt ?? Number.POSITIVE_INFINITY)) return;
    const next = nextWake({
      wallNow,
      storeNow,
      usageWakeAt,
      hasData: hasData ?? storeHasData(this.sql),
      lastMaintenance: getMetaNumber(this.sql, 'last_maintenance'),
      maintenanceIntervalMs: this.settings.maintenanceIntervalMs,
      alerting: this.alertingActive(),
      cronTickAt: getMetaNumber(this.sql, 'cron_tick_at'),
    });
    if (next === null || (this.alarmAt !== null && this.alarmAt <= next)) return;
    await this.setAlarmAt(next);
  }
}

// Every read of the tables sees every batch taken: the log is folded first (maintenance, ticks and
// the alarm fold themselves). Wrapped before the counting below, so a counted call folds too.
const READS_OF_TABLES = ['summary', 'live', 'liveState', 'timeseries', 'routes', 'rollupCells', 'samples', 'traces', 'trace', 'traceParts', 'profiles', 'instances', 'status', 'exportPage', 'alertData'] as const;
for (const name of READS_OF_TABLES) {
  const original = AppStore.prototype[name] as (...args: unknown[]) => unknown;
  Object.defineProperty(AppStore.prototype, name, {
    value: { [name](this: AppStore, ...args: unknown[]) {
      this.foldNow();
      return original.apply(this, args);
    } }[name],
    writable: true,
    configurable: true,
  });
}

// Each RPC call is a billed Durable Object request: counted per kind (ingest counts itself).
countStoreCalls(AppStore, 'reads', [
  'summary', 'live', 'liveState', 'timeseries', 'routes', 'rollupCells', 'samples', 'traces', 'trace', 'traceParts', 'profiles', 'instances', 'status', 'exportPage',
  'alerts', 'resolveAlert', 'alertRules', 'addAlertRule', 'updateAlertRule', 'removeAlertRule', 'usageReport', 'usageToday', 'flushUsage',
]);
countStoreCalls(AppStore, 'ticks', ['tick', 'wake', 'alertData', 'admitRoutes']);
countStoreCalls(AppStore, 'alarms', ['alarm']);
