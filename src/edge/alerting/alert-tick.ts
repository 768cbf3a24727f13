// The cron's tick in one app's AppStore: the rules are evaluated once per scheduled time (a cron
// delivered twice, or late, evaluates nothing twice), over the store's rollups as the loader keeps
// them between ticks, with decoded sketches cached; then the outbox delivers what is due within
// its time budget, also when the evaluation failed (what earlier ticks queued still goes out).
import type { AlertData } from '../../core/alerts/alert-data.ts';
import { AlertDataIndex } from '../../core/alerts/alert-data-index.ts';
import type { AlertEngine, DataRequest } from '../../core/alerts/alert-engine.ts';
import type { Outbox } from '../../core/alerts/outbox.ts';
import { SketchCache } from '../../core/alerts/sketch-cache.ts';
import type { Sql } from '../store/sql.ts';
import type { SqlAlertStore } from './alert-tables.ts';
import { AlertDataLoader } from './load-alert-data.ts';

export interface TickReport {
  /** False when this scheduled time (or a later one) was already evaluated. */
  evaluated: boolean;
  notifications: number;
  delivered: number;
  failed: number;
}

const NO_DATA: AlertData = { cells: [], profiles: [], samples: [], lastSeen: {} };

export class AlertTick {
  private readonly cache = new SketchCache();
  private readonly loader = new AlertDataLoader();

  constructor(private readonly parts: { sql: Sql; store: SqlAlertStore; engine: AlertEngine; outbox: Outbox }) {}

  /** An ingest wrote rollup cells of these minutes (the loader re-reads them). */
  cellsChanged(minutes: Iterable<number>): void {
    this.loader.cellsChanged(minutes);
  }

  /** Maintenance changed the tables: cells are read afresh. */
  tablesChanged(): void {
    this.loader.forget();
  }

  async run(scheduledTime: number): Promise<TickReport> {
    let notifications: number | null;
    try {
      notifications = this.evaluate(scheduledTime);
    } catch (error) {
      // Nothing of this evaluation was stored (one transaction).
      await this.parts.outbox.deliverDue(scheduledTime);
      throw error;
    }
    const { delivered, failed } = await this.parts.outbox.deliverDue(scheduledTime);
    return { evaluated: notifications !== null, notifications: notifications ?? 0, delivered, failed };
  }

  /** Notifications produced, or null when `now` was already evaluated. */
  private evaluate(now: number): number | null {
    const last = this.parts.store.lastEvaluatedAt();
    if (last !== null && now <= last) return null;
    return this.parts.engine.evaluate(now, (request) => this.read(request)).length;
  }

  private read(request: DataRequest): AlertData | AlertDataIndex {
    this.cache.prune(request.since);
    if (!request.anyRule) return NO_DATA;
    return new AlertDataIndex(this.loader.load(this.parts.sql, request), this.cache);
  }
}
