// Takes one validated batch in one transaction: stored once per batch id, its routes and instance
// through their caps, then logged to be folded into the tables later with others (pending-log.ts,
// fold.ts) or, without a log (or when the log is full, or the batch too large for it), folded at once.
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import type { Batch } from '../../core/wire-format.ts';
import { receivedAt, rememberBatch } from './batch-ids.ts';
import { foldBatches, type FoldTarget } from './fold.ts';
import type { PendingBatch, PendingLog } from './pending-log.ts';

export interface RecordCounts {
  rollups: number;
  samples: number;
  spans: number;
  profiles: number;
}

export type IngestOutcome =
  | {
    status: 'accepted';
    batchId: string;
    accepted: RecordCounts;
    /** Records counted under `other` because the app is at its route or instance cap. */
    overflow: { routes: number; instance: boolean };
    /** Stored rollup rows that could not be decoded, replaced by cells of a fold this ingest ran (see rollups.ts). */
    replacedUnreadableRows: number;
  }
  | { status: 'duplicate'; batchId: string; receivedAt: number }
  | { status: 'overloaded'; retryAfterSeconds: number };

export interface IngestTarget extends FoldTarget {
  /** How long batch ids are kept (the oldest data a batch may carry, and a day). */
  batchIdsKeptMs: number;
  /** The app's ingest rate limit, asked once a batch is known to be new (a retried duplicate costs nothing). */
  admit?: (events: number) => { ok: true } | { ok: false; retryAfterSeconds: number };
  /** Holds batches for a later fold (the AppStore's); without one a batch is folded at once. */
  log?: PendingLog;
}

/** What the caller does after the transaction committed: a fold ran (the log's batches are written), and which minutes it wrote. */
export interface IngestEffects {
  folded: boolean;
  minutes: Set<number>;
}

/** Number of records in a batch: what the rate limit and the benchmark count. */
export function eventsIn(batch: Batch): number {
  return batch.rollups.length + batch.samples.length + batch.spans.length + batch.profiles.length;
}

/**
 * Takes `batch` unless its id was taken before. All or nothing: on any failure the transaction
 * rolls back, and the caller must reload the guards and roll the log back (their memory may be ahead).
 */
export function ingestBatch(target: IngestTarget, batch: Batch, now: number): IngestOutcome & Partial<IngestEffects> {
  const { sql, routes, instances, log } = target;
  return sql.transaction((): IngestOutcome & Partial<IngestEffects> => {
    const seen = receivedAt(sql, batch.batchId, now, target.batchIdsKeptMs);
    if (seen !== null) return { status: 'duplicate', batchId: batch.batchId, receivedAt: seen };
    const admitted = target.admit?.(eventsIn(batch));
    if (admitted?.ok === false) return { status: 'overloaded', retryAfterSeconds: admitted.retryAfterSeconds };

    const instance = instances.admit(batch.identity.instance);
    let overflowRoutes = 0;
    const admit = (route: string): string => {
      const admitted = routes.admit(route, now);
      if (admitted !== route && admitted === OVERFLOW_ROUTE) overflowRoutes++;
      return admitted;
    };
    const taken: Omit<PendingBatch, 'seq'> = {
      receivedAt: now,
      instance,
      batch: {
        ...batch,
        rollups: batch.rollups.map((cell) => ({ ...cell, route: admit(cell.route) })),
        samples: batch.samples.map((sample) => ({ ...sample, route: admit(sample.route) })),
      },
    };
    rememberBatch(sql, batch.batchId, now, instance, eventsIn(batch));
    let folded: ReturnType<typeof foldBatches> | null = null;
    if (log === undefined || !log.append(taken)) {
      folded = foldBatches(target, [...(log?.batches() ?? []), { ...taken, seq: 0 }], now);
      log?.markFolded();
    } else if (log.full) {
      folded = foldBatches(target, log.batches(), now);
      log.markFolded();
    }
    return {
      status: 'accepted',
      batchId: batch.batchId,
      accepted: { rollups: batch.rollups.length, samples: batch.samples.length, spans: log === undefined ? folded!.spans : batch.spans.length, profiles: batch.profiles.length },
      overflow: { routes: overflowRoutes, instance: instance !== batch.identity.instance },
      replacedUnreadableRows: folded?.replaced ?? 0,
      folded: folded !== null,
      minutes: folded?.minutes ?? new Set(),
    };
  });
}
