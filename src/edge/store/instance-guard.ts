// The per-app cap on distinct instances, and what each instance last said: when it was seen, how far
// its batches reported, how many it sent and what it dropped. Past the cap, new instances are
// counted as `other`.
import { addCounters, zeroCounters } from '../../core/batch-builder.ts';
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import { MAX_TOTAL } from '../../core/value-bounds.ts';
import type { Batch, DroppedCounters, Identity, SamplingPolicy } from '../../core/wire-format.ts';
import { mergedProcesses, NO_PID, type ProcessReport } from './instance-processes.ts';
import type { Sql } from './sql.ts';

/** The instance name that instances past the cap are counted under (the same word as for routes). */
const OVERFLOW_INSTANCE = OVERFLOW_ROUTE;

export interface InstanceRecord {
  instance: string;
  service: string;
  runtime: string;
  runtimeVersion: string;
  sdkVersion: string;
  /** The process id of its latest batch (a detail: a restart keeps the instance, changes the pid); null from older clients. */
  pid: number | null;
  firstSeen: number;
  lastSeen: number;
  /** The end of the latest batch window it sent (ms since the epoch): its data is complete up to here. */
  reportedUntil: number | null;
  /** The start of that window: how long it took to report, about its flush interval. */
  reportedFrom: number | null;
  /** Requests counted in that batch: 0 for an instance with nothing to report (a heartbeat). */
  reportedRequests: number | null;
  batches: number;
  /** Everything the instance reported dropped since it was first seen; `requests`: counts lost, so requests missing here. */
  dropped: Required<DroppedCounters>;
  /** When it last reported requests lost (ms since the epoch), null if never. */
  requestsLostAt: number | null;
  /** How it samples detail and traces, as it last said; null from clients before adaptive sampling. */
  sampling: SamplingPolicy | null;
}

export class InstanceGuard {
  private readonly known = new Set<string>();

  constructor(private readonly sql: Sql, readonly cap: number) {
    this.reload();
  }

  reload(): void {
    this.known.clear();
    for (const row of this.sql.exec<{ instance: string }>('SELECT instance FROM instances WHERE instance != ?', OVERFLOW_INSTANCE)) {
      this.known.add(row.instance);
    }
  }

  get size(): number {
    return this.known.size;
  }

  /** The name a batch of `instance` is stored under: itself when known or when there is room, else `other`. */
  admit(instance: string): string {
    if (instance === OVERFLOW_INSTANCE || this.known.has(instance)) return instance;
    if (this.known.size >= this.cap) return OVERFLOW_INSTANCE;
    this.known.add(instance);
    return instance;
  }

  /** Writes what some batches said of one instance (one row written, however many batches). */
  store(update: InstanceUpdate): void {
    const { name, identity, dropped, lastSeen } = update;
    const stored = this.sql.exec<{ processes: string | null }>('SELECT processes FROM instances WHERE instance = ?', name).toArray()[0]?.processes ?? null;
    const processes = mergedProcesses(stored, update.processes);
    this.sql.exec(
      `INSERT INTO instances (instance, service, runtime, runtime_version, sdk_version, first_seen, last_seen, batches,
                              dropped_rollups, dropped_samples, dropped_spans, dropped_profiles, dropped_requests, requests_lost_at, sampling,
                              pid, reported_until, reported_from, reported_requests, dropped_parent_traces, processes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (instance) DO UPDATE SET
         service = excluded.service, runtime = excluded.runtime, runtime_version = excluded.runtime_version,
         sdk_version = excluded.sdk_version, last_seen = MAX(last_seen, excluded.last_seen), batches = batches + excluded.batches,
         pid = COALESCE(excluded.pid, pid),
         reported_requests = CASE WHEN excluded.reported_until >= COALESCE(reported_until, 0) THEN excluded.reported_requests ELSE reported_requests END,
         reported_from = CASE WHEN excluded.reported_until >= COALESCE(reported_until, 0) THEN excluded.reported_from ELSE reported_from END,
         reported_until = MAX(COALESCE(reported_until, 0), excluded.reported_until),
         dropped_rollups = MIN(dropped_rollups + excluded.dropped_rollups, ${MAX_TOTAL}), dropped_samples = MIN(dropped_samples + excluded.dropped_samples, ${MAX_TOTAL}),
         dropped_spans = MIN(dropped_spans + excluded.dropped_spans, ${MAX_TOTAL}), dropped_profiles = MIN(dropped_profiles + excluded.dropped_profiles, ${MAX_TOTAL}),
         dropped_requests = MIN(dropped_requests + excluded.dropped_requests, ${MAX_TOTAL}),
         dropped_parent_traces = MIN(dropped_parent_traces + excluded.dropped_parent_traces, ${MAX_TOTAL}),
         requests_lost_at = COALESCE(excluded.requests_lost_at, requests_lost_at),
         sampling = excluded.sampling, processes = excluded.processes`,
      name, identity.service, identity.runtime, identity.runtimeVersion, identity.sdkVersion, update.firstSeen, lastSeen, update.batches,
      cap(dropped.rollups), cap(dropped.samples), cap(dropped.spans), cap(dropped.profiles), cap(dropped.requests), update.requestsLostAt,
      identity.sampling === undefined ? null : JSON.stringify(identity.sampling),
      update.pid, update.reported.until, update.reported.from, update.reported.requests, cap(dropped.parentTraces), processes,
    );
  }

  forgetOlderThan(before: number): number {
    const removed = this.sql.exec('DELETE FROM instances WHERE last_seen < ?', before).rowsWritten;
    if (removed > 0) this.reload();
    return removed;
  }
}

/** Dropped counters saturate like the rollups' totals (value-bounds.ts): each batch's are counts, their sums need not be. */
const cap = (n: number) => Math.min(n, MAX_TOTAL);

interface InstanceRow extends Record<string, string | number | null> {
  instance: string; service: string; runtime: string; runtime_version: string; sdk_version: string;
  first_seen: number; last_seen: number; batches: number; pid: number | null; reported_until: number | null; reported_from: number | null; reported_requests: number | null;
  dropped_rollups: number; dropped_samples: number; dropped_spans: number; dropped_profiles: number;
  dropped_requests: number; requests_lost_at: number | null; sampling: string | null; dropped_parent_traces: number;
}

/** What some batches of one instance say of it: the latest one's identity, the sums of the rest. */
export interface InstanceUpdate {
  name: string;
  identity: Identity;
  firstSeen: number;
  lastSeen: number;
  batches: number;
  dropped: Required<DroppedCounters>;
  /** When the latest batch reporting lost requests came, null if none did. */
  requestsLostAt: number | null;
  /** The latest process id a batch named; null when none did (older clients). */
  pid: number | null;
  /**
   * The batch window reaching furthest (its end clamped to when it came: a sender's clock running
   * ahead does not move it past the edge's), and the requests that batch counted.
   */
  reported: { from: number; until: number; requests: number };
  /** Each batch's, by its process id (NO_PID for batches without one), for mergedProcesses. */
  processes: ProcessReport[];
}

/** The batches' updates, one per instance name, in the order the batches came. */
export function instanceUpdates(batches: ReadonlyArray<{ instance: string; receivedAt: number; batch: Pick<Batch, 'identity' | 'dropped' | 'window' | 'rollups'> }>): InstanceUpdate[] {
  const updates = new Map<string, InstanceUpdate>();
  for (const { instance, receivedAt, batch } of batches) {
    // Counts lost from clients older than the counter: none.
    const lost = batch.dropped.requests ?? 0;
    const reported = {
      from: Math.min(batch.window.start, batch.window.end, receivedAt),
      until: Math.min(batch.window.end, receivedAt),
      requests: batch.rollups.reduce((sum, cell) => sum + cell.count, 0),
    };
    const process: ProcessReport = { pid: batch.identity.pid ?? NO_PID, ...reported, lastSeen: receivedAt };
    const update = updates.get(instance);
    if (update === undefined) {
      // Counters a client did not send (older than them) add nothing.
      const dropped = zeroCounters();
      addCounters(dropped, batch.dropped);
      updates.set(instance, {
        name: instance, identity: batch.identity, firstSeen: receivedAt, lastSeen: receivedAt, batches: 1,
        dropped, requestsLostAt: lost > 0 ? receivedAt : null,
        pid: batch.identity.pid ?? null, reported, processes: [process],
      });
      continue;
    }
    update.processes.push(process);
    update.identity = batch.identity;
    update.pid = batch.identity.pid ?? update.pid;
    // As batches taken one by one would: a later batch reaching as far replaces the figures.
    if (reported.until >= update.reported.until) update.reported = reported;
    update.lastSeen = Math.max(update.lastSeen, receivedAt);
    update.batches++;
    addCounters(update.dropped, batch.dropped);
    if (lost > 0) update.requestsLostAt = receivedAt;
  }
  return [...updates.values()];
}

/** Every instance, most recently seen first. */
export function listInstances(sql: Sql): InstanceRecord[] {
  return sql.exec<InstanceRow>('SELECT * FROM instances ORDER BY last_seen DESC, instance').toArray().map((r) => ({
    instance: r.instance,
    service: r.service,
    runtime: r.runtime,
    runtimeVersion: r.runtime_version,
    sdkVersion: r.sdk_version,
    pid: r.pid,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    reportedUntil: r.reported_until,
    reportedFrom: r.reported_from,
    reportedRequests: r.reported_requests,
    batches: r.batches,
    dropped: {
      rollups: r.dropped_rollups, samples: r.dropped_samples, spans: r.dropped_spans, profiles: r.dropped_profiles,
      requests: r.dropped_requests, parentTraces: r.dropped_parent_traces,
    },
    requestsLostAt: r.requests_lost_at,
    sampling: samplingOf(r.sampling),
  }));
}

/** The stored policy (validated at ingest, written by record()); null if absent or unreadable. */
function samplingOf(text: string | null): SamplingPolicy | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as SamplingPolicy;
  } catch {
    return null;
  }
}
