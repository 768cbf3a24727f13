// The ingest work the app's store does rather than the Worker: inflate, parse and validate a body
// as sent, and check it belongs to the key's app. On the free plan a Worker invocation may use
// 10 ms of CPU; a Durable Object request 30 s. Decoding a full batch (1,000 samples + 200 cells)
// took the Worker 8–12 ms locally, the bytes' copy to the store well under 1 (bench/ingest.ts).
import { writeOutCarriedProfiles, type Batch } from '../../core/wire-format.ts';
import { HttpError } from '../http/errors.ts';
import { shardOf } from '../shards.ts';
import { parseBatch } from './parse-batch.ts';
import { inflateBody, type BodyLimits, type WireBody } from './read-body.ts';

/** What the Worker hands the store: the body as sent, the app its key belongs to, and the instance the sender named (X-Bun-Apm-Instance: what picked the shard). */
export interface IngestRequest extends WireBody {
  app: string;
  instance?: string;
  /** The app's shards, when the sender named no instance (so the batch came to shard 0). */
  shards?: number;
}

/** Shard 0's answer to a batch without the header of another shard's instance: the Worker sends it there (handle-ingest.ts). */
export const OTHER_SHARD = 'other_shard';

/** A body the store refused: the Worker answers with this status, code and message. */
export interface IngestRefusal {
  status: 'refused';
  error: { status: number; code: string; message: string; details: Record<string, unknown>; headers?: Record<string, string> };
}

export interface DecodeOptions extends Pick<BodyLimits, 'maxDecompressedBytes'> {
  now: number;
  maxAgeMs: number;
}

/** The batch, or a refusal saying what is wrong and where (never thrown: it crosses an RPC boundary). */
export async function decodeIngest(request: IngestRequest, options: DecodeOptions): Promise<Batch | IngestRefusal> {
  try {
    const bytes = await inflateBody(request, options);
    const batch = parseBatch(bytes, { now: options.now, maxAgeMs: options.maxAgeMs });
    // Both named (the batch's app is an app id by now): the usual cause is a package.json name
    // that is not the key's app, and the remedy is one of two settings.
    if (batch.identity.app !== request.app) {
      throw new HttpError(403, 'wrong_app', `identity.app "${batch.identity.app}" is not the app of this ingest key ("${request.app}"): set BUN_APM_APP=${request.app}, or use ${batch.identity.app}'s own key`);
    }
    // The header chose this store; a batch of another instance would split that instance's batches (and their retries) over shards.
    if (request.instance !== undefined && batch.identity.instance !== request.instance) {
      throw new HttpError(400, 'instance_mismatch', 'identity.instance is not the instance named by the X-Bun-Apm-Instance header');
    }
    if (request.shards !== undefined && shardOf(batch.identity.instance, request.shards) !== 0) {
      throw new HttpError(421, OTHER_SHARD, 'the batch belongs to another shard of this app', {}, { instance: batch.identity.instance });
    }
    // Stored and read whole: every sample with the memory and CPU figures its client carried
    // forward, and the batch plain v1 again (a Worker rolled back reads its pending log).
    writeOutCarriedProfiles(batch);
    return batch;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: 'refused', error: { status: error.status, code: error.code, message: error.message, details: error.details } };
  }
}

export function isRefusal(value: Batch | IngestRefusal): value is IngestRefusal {
  return (value as IngestRefusal).status === 'refused';
}

/** The refusal as the Worker throws it. */
export function refusalError(refusal: IngestRefusal): HttpError {
  return new HttpError(refusal.error.status, refusal.error.code, refusal.error.message, refusal.error.headers ?? {}, refusal.error.details);
}
