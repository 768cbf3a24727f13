// Detail records (samples, spans, profiles) waiting for the edge, one chunk per cut, as the JSON
// fragment they will have in a batch. Detail is what goes first when pending data outgrows its
// bound, so a chunk is never merged, only sent whole or dropped whole; while the edge is unreachable
// it is kept gzip'd.
import { LIMITS, type DetailSample, type Span, type SystemProfile } from '../../core/wire-format.ts';

/**
 * gzip level 1: measured on 1000 detail records, a third of the CPU of the default level (0.17 ms
 * against 0.52 ms, on the app's thread) for a body 60 % larger (23 KB against 14 KB). Bun's async
 * zlib was no help: as much wall time on this thread, and more CPU.
 */
export const GZIP_LEVEL = 1;

export interface DetailContents {
  samples: number;
  spans: number;
  profiles: number;
}

export interface DetailChunk {
  /** `"samples":[…],"spans":[…],"profiles":[…]`, as text or gzip'd. */
  fragment: string | Uint8Array<ArrayBuffer>;
  contents: DetailContents;
  /** Earliest time in it (ms since the epoch): a batch's window must cover it. */
  start: number;
}

/** The memory a chunk is charged for: characters of text, or bytes once gzip'd. */
export function chunkBytes(chunk: DetailChunk): number {
  return typeof chunk.fragment === 'string' ? chunk.fragment.length : chunk.fragment.byteLength;
}

/** The fragment as text, inflating it if it was gzip'd. */
export function fragmentText(chunk: DetailChunk): string {
  return typeof chunk.fragment === 'string' ? chunk.fragment : new TextDecoder().decode(Bun.gunzipSync(chunk.fragment));
}

/** Gzips the fragment in place (for a wait of unknown length); returns the bytes saved. */
export function compressChunk(chunk: DetailChunk): number {
  if (typeof chunk.fragment !== 'string') return 0;
  const before = chunk.fragment.length;
  chunk.fragment = Bun.gzipSync(chunk.fragment, { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>;
  return before - chunk.fragment.byteLength;
}

/** Records of each kind one batch may carry: the validator's LIMITS, or less when the edge says so. */
export interface DetailCaps {
  samples: number;
  spans: number;
  profiles: number;
}

export const DETAIL_LIMITS: DetailCaps = { samples: LIMITS.samples, spans: LIMITS.spans, profiles: LIMITS.profiles };

/** The detail of one cut as chunks, each inside `caps` (default the validator's LIMITS). */
export function detailChunks(samples: DetailSample[], spans: Span[], profiles: SystemProfile[], caps: DetailCaps = DETAIL_LIMITS): DetailChunk[] {
  const parts = Math.max(Math.ceil(samples.length / caps.samples), Math.ceil(spans.length / caps.spans), Math.ceil(profiles.length / caps.profiles));
  const chunks: DetailChunk[] = [];
  for (let i = 0; i < parts; i++) {
    const s = samples.slice(i * caps.samples, (i + 1) * caps.samples);
    const t = spans.slice(i * caps.spans, (i + 1) * caps.spans);
    const p = profiles.slice(i * caps.profiles, (i + 1) * caps.profiles);
    let start = Infinity;
    for (const sample of s) start = Math.min(start, sample.timestamp);
    for (const span of t) start = Math.min(start, span.startTime);
    for (const profile of p) start = Math.min(start, profile.timestamp);
    chunks.push({
      fragment: `"samples":${JSON.stringify(s)},"spans":${JSON.stringify(t)},"profiles":${JSON.stringify(p)}`,
      contents: { samples: s.length, spans: t.length, profiles: p.length },
      start: Math.floor(start),
    });
  }
  return chunks;
}

export const NO_DETAIL = '"samples":[],"spans":[],"profiles":[]';

/** Text of chunks merged into one batch at most (only several small ones are merged, e.g. a heartbeat's profiles). */
export const MERGE_BUDGET_CHARS = 256 * 1024;

/** Whether a chunk holds more of a kind than `caps` allow. */
export function exceeds(chunk: DetailChunk, caps: DetailCaps): boolean {
  return chunk.contents.samples > caps.samples || chunk.contents.spans > caps.spans || chunk.contents.profiles > caps.profiles;
}

/** A chunk cut into chunks within `caps` (at least one record each), in order. */
export function splitChunk(chunk: DetailChunk, caps: DetailCaps): DetailChunk[] {
  const part = JSON.parse(`{${fragmentText(chunk)}}`) as { samples: DetailSample[]; spans: Span[]; profiles: SystemProfile[] };
  const at = (n: number) => Math.max(1, Math.floor(n));
  return detailChunks(part.samples, part.spans, part.profiles, { samples: at(caps.samples), spans: at(caps.spans), profiles: at(caps.profiles) });
}

/** Whether `next` may join `taken` in one batch: within `caps` and the merge budget. */
export function fitsWith(taken: DetailChunk[], next: DetailChunk, caps: DetailCaps = DETAIL_LIMITS): boolean {
  let samples = next.contents.samples;
  let spans = next.contents.spans;
  let profiles = next.contents.profiles;
  let chars = chunkBytes(next);
  for (const chunk of taken) {
    samples += chunk.contents.samples;
    spans += chunk.contents.spans;
    profiles += chunk.contents.profiles;
    chars += chunkBytes(chunk);
  }
  return samples <= caps.samples && spans <= caps.spans && profiles <= caps.profiles && chars <= MERGE_BUDGET_CHARS;
}

/** The fragment of several chunks as one, their records in order. */
export function mergedFragment(chunks: DetailChunk[]): string {
  if (chunks.length === 1) return fragmentText(chunks[0]!);
  const all = { samples: [] as unknown[], spans: [] as unknown[], profiles: [] as unknown[] };
  for (const chunk of chunks) {
    const part = JSON.parse(`{${fragmentText(chunk)}}`) as typeof all;
    all.samples.push(...part.samples);
    all.spans.push(...part.spans);
    all.profiles.push(...part.profiles);
  }
  return `"samples":${JSON.stringify(all.samples)},"spans":${JSON.stringify(all.spans)},"profiles":${JSON.stringify(all.profiles)}`;
}

