// The caps an ingest answer tells the client, so that it cuts batches the edge takes whole (and
// cheaply: a batch within them costs the Worker at most a few ms of CPU, see bench/ingest.ts).
import { LIMITS } from '../../core/wire-format.ts';
import type { Settings } from '../settings.ts';

export interface IngestLimits {
  /** Body as sent (gzip), bytes. */
  maxBodyBytes: number;
  /** Body once inflated, bytes. */
  maxDecompressedBytes: number;
  maxRollups: number;
  maxSamples: number;
  maxSpans: number;
  maxProfiles: number;
}

export function ingestLimits(settings: Pick<Settings, 'maxBodyBytes' | 'maxDecompressedBytes'>): IngestLimits {
  return {
    maxBodyBytes: settings.maxBodyBytes,
    maxDecompressedBytes: settings.maxDecompressedBytes,
    maxRollups: LIMITS.rollups,
    maxSamples: LIMITS.samples,
    maxSpans: LIMITS.spans,
    maxProfiles: LIMITS.profiles,
  };
}
