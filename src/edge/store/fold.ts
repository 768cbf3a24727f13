// Folds batches taken into the tables (see pending-log.ts): their cells summed per row and merged
// once (10-second rows, minutes, hours: write-cells.ts), each instance's row written once (with how
// far its latest batch reported: what the live tiles read), their detail records chunked per kind
// and minute across batches, and their spans folded into traces batch by batch. Run inside the
// caller's transaction.
import { base64ToBytes, QuantileSketch } from '../../core/sketch.ts';
import { writeChunks } from './detail-chunks.ts';
import { instanceUpdates, type InstanceGuard } from './instance-guard.ts';
import type { PendingBatch } from './pending-log.ts';
import type { RouteGuard } from './route-guard.ts';
import type { Sql } from './sql.ts';
import { insertSpanGroups } from './traces.ts';
import { writeCells, type CellPolicy, type CellsReport, type TakenCell } from './write-cells.ts';

export interface FoldTarget extends CellPolicy {
  sql: Sql;
  routes: RouteGuard;
  instances: InstanceGuard;
}

export interface FoldReport extends CellsReport {
  batches: number;
  /** Spans stored (a span stored before is not stored again). */
  spans: number;
}

/** Writes `batches` (routes already through the cap: a route admitted at ingest is admitted again). */
export function foldBatches(target: FoldTarget, batches: readonly PendingBatch[], now: number): FoldReport {
  const { sql, routes, instances } = target;
  const admit = (route: string) => routes.admit(route, now);
  const cells = function* (): Generator<TakenCell> {
    for (const { batch, receivedAt } of batches) {
      for (const cell of batch.rollups) {
        const sketchBytes = base64ToBytes(cell.sketch);
        yield { cell: { ...cell, sketch: QuantileSketch.fromBytes(sketchBytes), sketchBytes }, receivedAt };
      }
    }
  };
  const written = writeCells(sql, cells(), target);
  for (const update of instanceUpdates(batches)) instances.store(update);
  const samples = batches.flatMap(({ instance, batch }) => batch.samples.map((record) => ({ instance, record })));
  if (samples.length > 0) writeChunks(sql, 'samples', samples);
  const profiles = batches.flatMap(({ instance, batch }) => batch.profiles.map((record) => ({ instance, record })));
  if (profiles.length > 0) writeChunks(sql, 'profiles', profiles);
  const spans = insertSpanGroups(sql, batches.map(({ instance, batch }) => batch.spans.map((record) => ({ record, service: batch.identity.service, instance }))), admit);
  return { ...written, batches: batches.length, spans };
}
