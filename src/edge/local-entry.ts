// The Worker as the local runtime runs it (dev:edge, tests, benchmarks): the production entry
// plus what only a local machine should have — `/__scheduled?cron=…&time=…` to fire the cron on
// demand (as `wrangler dev --test-scheduled` does), a movable clock for the store, and the
// raw-insert floor of bench/ingest.ts (`POST /__bench/floor?app=…`). Never deployed: wrangler.toml's
// main is worker.ts.
import type { Batch } from '../core/wire-format.ts';
import alerts from './alerts.config.ts';
import type { CodeRules } from './alerting/code-rules.ts';
import { AppStore as AppStoreOf, type AppStoreEnv } from './app-store.ts';
import type { Env } from './env.ts';
import { json } from './http/errors.ts';
import { createScheduled } from './scheduled.ts';
import { FloorTables } from './store/floor.ts';
import type { MaintenanceReport } from './store/maintenance.ts';
import { createAnswer } from './worker.ts';

export { DashboardSessions } from './dashboard/dashboard-sessions.ts';

/**
 * The local Worker and its AppStore class, running `codeRules`: alerts.config.ts's below, or a
 * test's own (test/edge/alerting/fixtures/code-rules-entry.js).
 */
export function localWorker(codeRules: CodeRules) {
  class AppStore extends AppStoreOf {
    private clockOffsetMs = 0;
    private floor: FloorTables | undefined;
    private admitFails = false;

    constructor(ctx: DurableObjectState, env: AppStoreEnv) {
      super(ctx, env, codeRules);
    }

    protected override now(): number {
      return Date.now() + this.clockOffsetMs;
    }

    /** Moves the store's clock (not the Worker's) by `offsetMs` from real time. */
    setClockOffset(offsetMs: number): number {
      this.clockOffsetMs = offsetMs;
      return this.now();
    }

    /** Makes shard 0's answer to its other shards fail while `failing` (a test of a shard-0 outage). */
    failAdmitRoutes(failing: boolean): void {
      this.admitFails = failing;
    }

    override async admitRoutes(routes: string[]): Promise<string[]> {
      if (this.admitFails) throw new Error('shard 0 made to fail by a test');
      return super.admitRoutes(routes);
    }

    /** Schedules the alarm for now, with maintenance whether due or not: the alarm handler, not this call, does the work. */
    async fireAlarmNow(): Promise<void> {
      this.forceMaintenance = true;
      await this.setAlarmAt(Date.now());
    }

    /** Runs maintenance in this call, for tests that want its report. */
    maintainNow(): MaintenanceReport {
      return this.maintain();
    }

    /** The benchmark's floor, step 1 (not timed): a batch turned into rows. */
    floorPrepare(batch: Batch): void {
      this.floor ??= new FloorTables(this.sql);
      this.floor.prepare(batch);
    }

    /** Step 2 (timed, through `POST /__bench/floor`): the same rows inserted with plain INSERTs. */
    floorInsert(): number {
      this.floor ??= new FloorTables(this.sql);
      return this.floor.insert();
    }
  }

  const answer = createAnswer(codeRules);
  const scheduled = createScheduled(codeRules);
  const worker = {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === '/__scheduled') {
        // A browser says where a request comes from: a web page's <img> or form must not fire the
        // cron (a tick keeps the stores' alarms from evaluating for 10 minutes). curl and scripts send no such header.
        const site = request.headers.get('sec-fetch-site');
        if (site !== null && site !== 'none' && site !== 'same-origin') return json({ error: { code: 'forbidden', message: `/__scheduled is not fired from a web page (Sec-Fetch-Site: ${site.slice(0, 32)})` } }, 403);
        const cron = url.searchParams.get('cron') ?? '* * * * *';
        const time = Number(url.searchParams.get('time') ?? Date.now());
        if (!Number.isSafeInteger(time)) return json({ error: { code: 'invalid_parameter', message: 'time: expected ms since the epoch' } }, 400);
        // Taken as the last minute evaluated, a time ahead had stopped every evaluation, the alarms' too, until then (a review).
        if (time > Date.now() + 60_000) return json({ error: { code: 'invalid_parameter', message: 'time: at most a minute ahead of the clock (a tick for a later minute would stop evaluation until then)' } }, 400);
        await scheduled({ cron, scheduledTime: time, noRetry() {} }, env, ctx);
        return json({ ok: true, cron, scheduledTime: time });
      }
      if (url.pathname === '/__bench/floor' && request.method === 'POST') {
        const app = url.searchParams.get('app') ?? '';
        // wrangler.toml binds APP_STORE to this module's AppStore.
        const store = env.APP_STORE.get(env.APP_STORE.idFromName(app)) as DurableObjectStub<AppStore>;
        return json({ rows: await store.floorInsert() });
      }
      // Not on Cloudflare: a client's cf-connecting-ip header is its own word, not its address.
      return answer(request, env, ctx, 'local');
    },
    scheduled,
  } satisfies ExportedHandler<Env>;

  return { AppStore, worker };
}

const local = localWorker(alerts);

export const AppStore = local.AppStore;
export default local.worker;
