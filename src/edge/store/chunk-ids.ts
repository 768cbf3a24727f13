// The ids of detail chunks and of the records in them (see detail-chunks.ts). A chunk's row id is
// time ordered without an index: (minutes since 2020) × 65,536 + n, so a time range is a range of
// the rowid. A record's id is chunk id × 2,048 + its position: unique, and ordered like the chunks.
// Both stay below 2^53 until the 2140s.

const MINUTE_MS = 60_000;
const EPOCH_MINUTE = Date.UTC(2020, 0, 1) / MINUTE_MS;
/** Chunks per minute and kind: far more than one store can write (about 100 batches a second). */
export const CHUNKS_PER_MINUTE = 65_536;
/** Records per chunk at most; a larger write is split. */
export const RECORDS_PER_CHUNK = 2_048;

/** The first chunk id of the minute holding `time`. */
export const chunkBase = (time: number) => (Math.floor(time / MINUTE_MS) - EPOCH_MINUTE) * CHUNKS_PER_MINUTE;
/** The start of the minute a chunk id belongs to. */
export const chunkMinute = (chunkId: number) => (Math.floor(chunkId / CHUNKS_PER_MINUTE) + EPOCH_MINUTE) * MINUTE_MS;
export const recordId = (chunkId: number, index: number) => chunkId * RECORDS_PER_CHUNK + index;
