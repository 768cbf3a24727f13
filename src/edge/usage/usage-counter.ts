// An AppStore's running count of what it costs: kept in memory and written to usage_daily by the
// calls themselves, so counting adds no store request and about one row written per instance per
// flush. A call writes what waits once a minute has passed since the last write, or when it comes
// after SPARSE_MS of silence (or is the object's first): an object is evicted when idle (after
// 70-140 s on Cloudflare, 10-20 s locally) and loses what it holds, and an app calling every few
// minutes had its store evicted between calls, each new object waiting its 5 minutes anew, so
// none of its counts were ever written. And a busy spell's last ingest counts, which wait for the
// next call, get a wake-up of their own (writeDueAt: the store's alarm, a minute after the last write,
// before the earliest eviction): a burst of batches under a minute long, then silence, had been
// lost whole (a review: 530 batches read as 5 ingest requests).
import type { Plan } from '../../core/usage/plan.ts';
import { PLAN_LIMITS } from '../../core/usage/plan.ts';
import {
  addCounts, DAY_MS, dayOf, quotasOf, warningsOf, zeroCounts,
  type InstanceUsage, type QuotaUse, type UsageCounts, type UsageDay, type UsageReport, type UsageWarning,
} from '../../core/usage/usage.ts';
import type { Sql } from '../store/sql.ts';
import type { SqlMeter } from './sql-meter.ts';
import { addUsage, APP_ROW, forgetUsageBefore, readDay, readDays, readInstances } from './usage-table.ts';

/** Counts wait in memory at most this long (while calls keep coming) before they are written. */
export const FLUSH_EVERY_MS = 60_000;
/** A call after this much silence writes at once: the object may be evicted before the next one. */
export const SPARSE_MS = 30_000;
/** Days of usage kept (a billing month and a bit). */
export const KEEP_DAYS = 40;
/** Instances past the cap of a day are counted under this name (the word routes and instances use). */
const OVERFLOW_INSTANCE = 'other';

export type StoreCall = 'reads' | 'ticks' | 'alarms';

/** Today's use as the ingest answer carries it: enough for a client or `doctor` to warn. */
export interface UsageToday {
  day: number;
  plan: Plan | null;
  quotas: QuotaUse[];
  warnings: UsageWarning[];
}

export class UsageCounter {
  readonly #sql: Sql;
  readonly #meter: SqlMeter;
  readonly #instanceCap: number;
  readonly #now: () => number;
  /** The day the pending counts belong to. */
  #day: number;
  #pending = new Map<string, UsageCounts>();
  #lastFlush: number;
  /** The previous call's time; null before this object's first. */
  #lastCall: number | null = null;
  /** Today as written (loaded once per day), so that today's totals need no query. */
  #written: { counts: UsageCounts; storedBytes: number; instances: Set<string> } | null = null;

  constructor(sql: Sql, meter: SqlMeter, instanceCap: number, now: () => number) {
    this.#sql = sql;
    this.#meter = meter;
    this.#instanceCap = instanceCap;
    this.#now = now;
    this.#lastFlush = now();
    this.#day = dayOf(this.#lastFlush);
  }

  /** One store request that is not an ingest. */
  call(kind: StoreCall): void {
    const now = this.#roll();
    this.#add(APP_ROW, { [kind]: 1 });
    this.#flushIfDue(now);
  }

  /** Before a batch is written: rows counted so far belong to the app. */
  beforeIngest(): void {
    this.#roll();
    this.#add(APP_ROW, this.#meter.take());
  }

  /** After it: its rows, bytes and (when accepted) records belong to its instance (null: a body refused before its instance was known). */
  afterIngest(instance: string | null, wireBytes: number, events: number): void {
    const name = instance === null ? APP_ROW : this.#admit(instance);
    this.#add(name, { ingestRequests: 1, ingestBytes: wireBytes, events, ...this.#meter.take() });
    this.#flushIfDue(this.#now());
  }

  /**
   * When waiting ingest counts must be written (store time), or null when none wait: a minute after
   * the last write, the time a call writes them anyway. The store's alarm comes by then, a call of
   * its own, and an object idle since its last call is evicted 70 s after it at the earliest. Reads
   * and alarms alone wake nothing: an alarm's own count would call for the next alarm.
   */
  get writeDueAt(): number | null {
    for (const counts of this.#pending.values()) if (counts.ingestRequests > 0) return this.#lastFlush + FLUSH_EVERY_MS;
    return null;
  }

  /** After a call is counted: written if a minute has passed since the last write, or the call broke a silence. */
  #flushIfDue(now: number): void {
    const sparse = this.#lastCall === null || now - this.#lastCall >= SPARSE_MS;
    this.#lastCall = now;
    if (sparse || now - this.#lastFlush >= FLUSH_EVERY_MS) this.flush();
  }

  /** Writes what is pending (the alarm and tests call this; calls do when it is due). */
  flush(): void {
    this.#add(APP_ROW, this.#meter.take());
    const storedBytes = this.#sql.databaseSize;
    const written = this.#today();
    for (const [instance, counts] of this.#pending) {
      addUsage(this.#sql, this.#day, instance, counts, instance === APP_ROW ? storedBytes : 0);
      addCounts(written.counts, counts);
    }
    written.storedBytes = Math.max(written.storedBytes, storedBytes);
    this.#pending.clear();
    this.#lastFlush = this.#now();
  }

  /** Today's use against the plan, as the ingest answer carries it. */
  today(plan: Plan | null): UsageToday {
    this.#roll();
    // Rows of the calls since the last ingest (a fold by a read, maintenance) count as the app's.
    this.#add(APP_ROW, this.#meter.take());
    const day = this.#todayDay();
    const quotas = quotasOf(day, this.#now(), plan);
    return { day: day.day, plan, quotas, warnings: warningsOf(quotas, 'this app') };
  }

  /** `days` days of use (today included), today's instances, quotas and warnings. */
  report(app: string, plan: Plan | null, days: number): UsageReport {
    const now = this.#roll();
    // Rows of the calls since the last ingest (a fold by a read, maintenance) count as the app's.
    this.#add(APP_ROW, this.#meter.take());
    const stored = readDays(this.#sql, this.#day - (days - 1) * DAY_MS);
    const today = this.#todayDay();
    const list: UsageDay[] = [today, ...stored.filter((d) => d.day !== today.day)];
    const instances = new Map<string, InstanceUsage>(readInstances(this.#sql, this.#day).map((i) => [i.instance, i]));
    for (const [name, counts] of this.#pending) {
      if (name === APP_ROW) continue;
      const row = instances.get(name) ?? { instance: name, ingestRequests: 0, rowsWritten: 0, ingestBytes: 0, events: 0 };
      row.ingestRequests += counts.ingestRequests;
      row.rowsWritten += counts.rowsWritten;
      row.ingestBytes += counts.ingestBytes;
      row.events += counts.events;
      instances.set(name, row);
    }
    const quotas = quotasOf(today, now, plan);
    return {
      app,
      plan,
      now,
      days: list,
      instances: [...instances.values()].sort((a, b) => b.ingestRequests - a.ingestRequests || a.instance.localeCompare(b.instance)),
      quotas,
      warnings: warningsOf(quotas, 'this app'),
      limits: plan === null ? null : PLAN_LIMITS[plan],
    };
  }

  /** Today: what was written plus what is pending. */
  #todayDay(): UsageDay {
    const written = this.#today();
    const counts = zeroCounts();
    addCounts(counts, written.counts);
    for (const pending of this.#pending.values()) addCounts(counts, pending);
    return { day: this.#day, ...counts, storedBytes: Math.max(written.storedBytes, this.#sql.databaseSize) };
  }

  #today(): { counts: UsageCounts; storedBytes: number; instances: Set<string> } {
    if (this.#written === null) {
      const { counts, storedBytes, instances } = readDay(this.#sql, this.#day);
      this.#written = { counts, storedBytes, instances: new Set(instances) };
    }
    return this.#written;
  }

  /** The name an instance is counted under today: past the cap, `other`. */
  #admit(instance: string): string {
    const known = this.#today().instances;
    if (known.has(instance)) return instance;
    if (known.size >= this.#instanceCap) return OVERFLOW_INSTANCE;
    known.add(instance);
    return instance;
  }

  #add(instance: string, counts: Partial<UsageCounts>): void {
    let pending = this.#pending.get(instance);
    if (pending === undefined) {
      pending = zeroCounts();
      this.#pending.set(instance, pending);
    }
    addCounts(pending, counts);
  }

  /** When the UTC day has turned: the old day's counts written, old days forgotten. */
  #roll(): number {
    const now = this.#now();
    const day = dayOf(now);
    if (day !== this.#day) {
      if (this.#pending.size > 0) this.flush();
      this.#day = day;
      this.#written = null;
      forgetUsageBefore(this.#sql, day - (KEEP_DAYS - 1) * DAY_MS);
    }
    return now;
  }
}
