// The cron's tick in one app's AppStore: the rules are evaluated once per scheduled time (a cron
// delivered twice, or late, evaluates nothing twice), over the store's rollups as the loader keeps
// them between ticks, with decoded sketches cached; then the outbox delivers what is due within
// its time budget, also when the evaluation failed (what earlier ticks queued still goes out).
import type { AlertData } from '../../core/alerts/alert-data.ts';
import { AlertDataIndex } from '../../core/alerts/alert-data-index.ts';
import { dataRequest, type AlertEngine, type DataRequest } from '../../core/alerts/alert-engine.ts';
import type { Outbox } from '../../core/alerts/outbox.ts';
import { SketchCache } from '../../core/alerts/sketch-cache.ts';
import type { Sql } from '../store/sql.ts';
import type { SqlAlertStore } from './alert-tables.ts';
import { AlertDataLoader, mergeAlertData } from './load-alert-data.ts';

/** The other shards' data for a request (shard 0 evaluates over the whole app; see shards.ts). */
export type RemoteAlertData = (request: DataRequest) => Promise<AlertData[]>;

export interface TickReport {
  /** False when this scheduled time (or a later one) was already evaluated. */
  evaluated: boolean;
  notifications: number;
  delivered: number;
  failed: number;
}

const NO_DATA: AlertData = { cells: [], profiles: [], samples: [], lastSeen: {} };
const MINUTE_MS = 60_000;
/** Minutes a late tick evaluates before its own (see skipped). */
export const CATCH_UP_MINUTES = 5;

export class AlertTick {
  private readonly cache = new SketchCache();
  private readonly loader = new AlertDataLoader();

  constructor(private readonly parts: { sql: Sql; store: SqlAlertStore; engine: AlertEngine; outbox: Outbox; remote?: RemoteAlertData }) {}

  /** An ingest wrote rollup cells of these minutes (the loader re-reads them). */
  cellsChanged(minutes: Iterable<number>): void {
    this.loader.cellsChanged(minutes);
  }

  /** Maintenance changed the tables: cells are read afresh. */
  tablesChanged(): void {
    this.loader.forget();
  }

  async run(scheduledTime: number): Promise<TickReport> {
    let notifications: number | null = null;
    try {
      // Minutes a late wake-up passed over first, in order, then this one: a minute evaluated only
      // as part of a later one's window had let a 60 s rule miss its burst (a review).
      for (const time of [...this.skipped(scheduledTime), scheduledTime]) {
        if (!this.due(time)) continue;
        // The other shards are asked first (evaluation itself is one synchronous transaction), and only when this time will be evaluated.
        const remote = this.parts.remote ? await this.parts.remote(dataRequest(this.parts.store.rules(), time)) : [];
        notifications = (notifications ?? 0) + this.evaluate(time, remote);
      }
    } catch (error) {
      // Nothing of this evaluation was stored (one transaction).
      await this.parts.outbox.deliverDue(scheduledTime);
      throw error;
    }
    const { delivered, failed } = await this.parts.outbox.deliverDue(scheduledTime);
    return { evaluated: notifications !== null, notifications: notifications ?? 0, delivered, failed };
  }

  /**
   * The minute starts after the last evaluation and before `time`, when `time` is one: an alarm woken
   * late, or one whose data ended a minute early (the live horizon) and the next whose did not. A
   * last evaluation off the minute (a manual `/__scheduled?time=…`) counts from the minute after it:
   * the minutes after one had gone unevaluated (a review).
   * The last CATCH_UP_MINUTES at most: an edge away longer is an outage, judged from now on.
   */
  private skipped(time: number): number[] {
    const last = this.parts.store.lastEvaluatedAt();
    if (last === null || time % MINUTE_MS !== 0) return [];
    const minutes: number[] = [];
    const after = Math.floor(last / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (let minute = Math.max(after, time - CATCH_UP_MINUTES * MINUTE_MS); minute < time; minute += MINUTE_MS) minutes.push(minute);
    return minutes;
  }

  /** Whether `now` is later than the last evaluation. */
  private due(now: number): boolean {
    const last = this.parts.store.lastEvaluatedAt();
    return last === null || now > last;
  }

  /** Notifications produced. */
  private evaluate(now: number, remote: readonly AlertData[]): number {
    return this.parts.engine.evaluate(now, (request) => this.read(request, remote)).length;
  }

  private read(request: DataRequest, remote: readonly AlertData[]): AlertData | AlertDataIndex {
    this.cache.prune(request.since);
    if (!request.anyRule) return NO_DATA;
    const local = this.loader.load(this.parts.sql, request);
    return new AlertDataIndex(remote.length === 0 ? local : mergeAlertData([local, ...remote]), this.cache);
  }
}
