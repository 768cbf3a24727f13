// Wire-format batches from what was recorded: whole cuts for custom storage (split so that every
// array stays inside the validator's LIMITS), and the JSON of an edge batch sealed from pending
// parts; each batch has a fresh id that it keeps across retries.
import { LIMITS, WIRE_FORMAT_VERSION, type Batch, type DetailSample, type DroppedCounters, type Identity, type RollupCell, type Span, type SystemProfile } from './wire-format.ts';

export interface Recorded {
  rollups: RollupCell[];
  samples: DetailSample[];
  spans: Span[];
  profiles: SystemProfile[];
}

/** Every counter present (`requests`, `parentTraces` too), so that they add up. */
export type Counters = Required<DroppedCounters>;

export function zeroCounters(): Counters {
  return { rollups: 0, samples: 0, spans: 0, profiles: 0, requests: 0, parentTraces: 0 };
}

export function addCounters(into: Counters, from: Partial<DroppedCounters>): void {
  into.rollups += from.rollups ?? 0;
  into.samples += from.samples ?? 0;
  into.spans += from.spans ?? 0;
  into.profiles += from.profiles ?? 0;
  into.requests += from.requests ?? 0;
  into.parentTraces += from.parentTraces ?? 0;
}

export function anyCounted(counters: Counters): boolean {
  return counters.rollups + counters.samples + counters.spans + counters.profiles + counters.requests + counters.parentTraces > 0;
}

/** The counters as v1 has them, with `parentTraces` only when there are some (handlers written before it see what they saw). */
export function droppedOf(counters: Counters): DroppedCounters {
  const { parentTraces, ...v1 } = counters;
  return parentTraces > 0 ? { ...v1, parentTraces } : v1;
}

export function isEmpty(recorded: Recorded): boolean {
  return recorded.rollups.length + recorded.samples.length + recorded.spans.length + recorded.profiles.length === 0;
}

/** 32 hex characters from the CSPRNG: unique per batch, the edge's key for storing it once. */
export function newBatchId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/**
 * @example
 * const batches = buildBatches(identity, { start, end: Date.now() }, recorded, dropped);
 * // dropped travels in the first batch only
 */
export function buildBatches(identity: Identity, window: { start: number; end: number }, recorded: Recorded, dropped: Counters): Batch[] {
  const parts = Math.max(
    1,
    Math.ceil(recorded.rollups.length / LIMITS.rollups),
    Math.ceil(recorded.samples.length / LIMITS.samples),
    Math.ceil(recorded.spans.length / LIMITS.spans),
    Math.ceil(recorded.profiles.length / LIMITS.profiles),
  );
  const batches: Batch[] = [];
  for (let i = 0; i < parts; i++) {
    batches.push({
      version: WIRE_FORMAT_VERSION,
      batchId: newBatchId(),
      identity,
      window,
      rollups: slice(recorded.rollups, i, LIMITS.rollups),
      samples: slice(recorded.samples, i, LIMITS.samples),
      spans: slice(recorded.spans, i, LIMITS.spans),
      profiles: slice(recorded.profiles, i, LIMITS.profiles),
      dropped: droppedOf(i === 0 ? dropped : zeroCounters()),
    });
  }
  return batches;
}

function slice<T>(items: T[], part: number, size: number): T[] {
  return items.slice(part * size, (part + 1) * size);
}

export function requestsIn(cells: readonly RollupCell[]): number {
  let requests = 0;
  for (const cell of cells) requests += cell.count;
  return requests;
}

/**
 * The JSON of a batch from its parts, the detail as the fragment pending-detail.ts keeps, so that a
 * batch is serialised once, when it is sent.
 */
export function encodeBatch(batchId: string, identity: Identity, window: { start: number; end: number }, rollups: readonly RollupCell[], detail: string, dropped: DroppedCounters, carriedProfiles = false): string {
  return `{"version":${WIRE_FORMAT_VERSION},"batchId":${JSON.stringify(batchId)},"identity":${JSON.stringify(identity)},"window":${JSON.stringify(window)},` +
    `"rollups":${JSON.stringify(rollups)},${detail},"dropped":${JSON.stringify(dropped)}${carriedProfiles ? ',"carriedProfiles":true' : ''}}`;
}
