// Detail records (samples, spans, profiles) waiting for the edge, one chunk per cut, as the JSON
// text they will have in a batch, so that a batch joins chunks without parsing them again. Detail is what goes first when pending data outgrows its
// bound, so a chunk is never merged, only sent whole or dropped whole; while the edge is unreachable
// it is kept gzip'd.
import { carryProfile, fillCarriedProfiles, hasProfileFigures, LIMITS, type DetailSample, type Span, type SystemProfile } from '../../core/wire-format.ts';

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

/** The records of each kind as JSON, comma-separated without the brackets, so chunks join by concatenation. */
export interface DetailParts {
  samples: string;
  spans: string;
  profiles: string;
}

export interface DetailChunk {
  /** The records as text, or gzip'd (the three lists one per line: JSON text never holds a raw newline). */
  parts: DetailParts | Uint8Array<ArrayBuffer>;
  contents: DetailContents;
  /** Earliest time in it (ms since the epoch): a batch's window must cover it. */
  start: number;
  /** Latest time in it: past the edge's tolerance for the future (a clock stepped back since), some records must go. */
  end: number;
  /**
   * Its samples leave out memory and CPU figures they share with an earlier sample of the chunk
   * (fillCarriedProfiles); its first sample has them, once there was a profile. Sent only in a batch
   * marked `carriedProfiles`.
   */
  carriedProfiles: boolean;
}

/** The memory a chunk is charged for: characters of text, or bytes once gzip'd. */
export function chunkBytes(chunk: DetailChunk): number {
  const parts = chunk.parts;
  return parts instanceof Uint8Array ? parts.byteLength : parts.samples.length + parts.spans.length + parts.profiles.length;
}

/** The records as text, inflating them if they were gzip'd. */
function partsOf(chunk: DetailChunk): DetailParts {
  if (!(chunk.parts instanceof Uint8Array)) return chunk.parts;
  const [samples = '', spans = '', profiles = ''] = new TextDecoder().decode(Bun.gunzipSync(chunk.parts)).split('\n');
  return { samples, spans, profiles };
}

/** Gzips the records in place (for a wait of unknown length); returns the bytes saved. */
export function compressChunk(chunk: DetailChunk): number {
  if (chunk.parts instanceof Uint8Array) return 0;
  const before = chunkBytes(chunk);
  const { samples, spans, profiles } = chunk.parts;
  chunk.parts = Bun.gzipSync(`${samples}\n${spans}\n${profiles}`, { level: GZIP_LEVEL }) as Uint8Array<ArrayBuffer>;
  return before - chunk.parts.byteLength;
}

/** Records of each kind one batch may carry: the validator's LIMITS, or less when the edge says so. */
export interface DetailCaps {
  samples: number;
  spans: number;
  profiles: number;
}

export const DETAIL_LIMITS: DetailCaps = { samples: LIMITS.samples, spans: LIMITS.spans, profiles: LIMITS.profiles };

/**
 * The detail of one cut as chunks, each inside `caps` (default the validator's LIMITS).
 * `carriedProfiles`: the edge takes them, so samples may leave out figures they share with an
 * earlier one (as the recorder writes them), and only each chunk's first sample is given them;
 * otherwise every sample is. Samples are changed in place.
 */
export function detailChunks(samples: DetailSample[], spans: Span[], profiles: SystemProfile[], carriedProfiles: boolean, caps: DetailCaps = DETAIL_LIMITS): DetailChunk[] {
  if (carriedProfiles) giveEachPartItsFigures(samples, caps.samples);
  else fillCarriedProfiles(samples);
  const parts = Math.max(Math.ceil(samples.length / caps.samples), Math.ceil(spans.length / caps.spans), Math.ceil(profiles.length / caps.profiles));
  const chunks: DetailChunk[] = [];
  for (let i = 0; i < parts; i++) {
    const s = samples.slice(i * caps.samples, (i + 1) * caps.samples);
    const t = spans.slice(i * caps.spans, (i + 1) * caps.spans);
    const p = profiles.slice(i * caps.profiles, (i + 1) * caps.profiles);
    let start = Infinity;
    let end = -Infinity;
    for (const time of timesOf(s, t, p)) {
      start = Math.min(start, time);
      end = Math.max(end, time);
    }
    chunks.push({
      parts: { samples: list(s), spans: list(t), profiles: list(p) },
      contents: { samples: s.length, spans: t.length, profiles: p.length },
      start: Math.floor(start),
      end: Math.ceil(end),
      carriedProfiles,
    });
  }
  return chunks;
}

/** The time of each record, as the edge checks it. */
function* timesOf(samples: readonly DetailSample[], spans: readonly Span[], profiles: readonly SystemProfile[]): Generator<number> {
  for (const sample of samples) yield sample.timestamp;
  for (const span of spans) yield span.startTime;
  for (const profile of profiles) yield profile.timestamp;
}

/**
 * A chunk without its records dated after `latest` (the edge refuses a whole batch holding one):
 * what is left, as chunks with every sample's figures written out, and what was taken out.
 */
export function withoutFuture(chunk: DetailChunk, latest: number): { kept: DetailChunk[]; lost: DetailContents } {
  const parts = partsOf(chunk);
  const all = { samples: records(parts.samples) as DetailSample[], spans: records(parts.spans) as Span[], profiles: records(parts.profiles) as SystemProfile[] };
  // Written out before any is taken out: a sample may carry its figures to the ones after it.
  fillCarriedProfiles(all.samples);
  const samples = all.samples.filter((sample) => sample.timestamp <= latest);
  const spans = all.spans.filter((span) => span.startTime <= latest);
  const profiles = all.profiles.filter((profile) => profile.timestamp <= latest);
  const lost = { samples: all.samples.length - samples.length, spans: all.spans.length - spans.length, profiles: all.profiles.length - profiles.length };
  return { kept: detailChunks(samples, spans, profiles, false), lost };
}

/** The first sample of each part of `size` given the figures carried to it, so that each chunk restores by itself. */
function giveEachPartItsFigures(samples: DetailSample[], size: number): void {
  let withFigures: DetailSample | undefined;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    if (hasProfileFigures(sample)) withFigures = sample;
    else if (i % size === 0 && withFigures !== undefined) carryProfile(withFigures, sample);
  }
}

/** Records as the inside of a JSON array. */
function list(records: readonly unknown[]): string {
  return records.length === 0 ? '' : JSON.stringify(records).slice(1, -1);
}

export const NO_DETAIL = '"samples":[],"spans":[],"profiles":[]';

/**
 * Text of detail one batch carries at most, unless a single chunk is larger: about 900 detail
 * records, whose gzip holds the app's thread ≈ 0.2 ms when the batch is sealed. It is also what
 * makes detail worth a batch of its own before the flush interval (see PendingData.detailFull).
 */
export const MERGE_BUDGET_CHARS = 256 * 1024;

/** Whether a chunk holds more of a kind than `caps` allow. */
export function exceeds(chunk: DetailChunk, caps: DetailCaps): boolean {
  return chunk.contents.samples > caps.samples || chunk.contents.spans > caps.spans || chunk.contents.profiles > caps.profiles;
}

/** A chunk cut into chunks within `caps` (at least one record each), in order. */
export function splitChunk(chunk: DetailChunk, caps: DetailCaps): DetailChunk[] {
  const parts = partsOf(chunk);
  const at = (n: number) => Math.max(1, Math.floor(n));
  return detailChunks(records(parts.samples), records(parts.spans), records(parts.profiles), chunk.carriedProfiles, { samples: at(caps.samples), spans: at(caps.spans), profiles: at(caps.profiles) });
}

/** A chunk with every sample given its figures, for a batch to an edge not known to take carried ones; gzip'd again if it was. */
export function uncarried(chunk: DetailChunk): DetailChunk {
  if (!chunk.carriedProfiles) return chunk;
  const parts = partsOf(chunk);
  const samples = records(parts.samples) as DetailSample[];
  fillCarriedProfiles(samples);
  const plain: DetailChunk = { ...chunk, parts: { ...parts, samples: list(samples) }, carriedProfiles: false };
  if (chunk.parts instanceof Uint8Array) compressChunk(plain);
  return plain;
}

/** The records of a list's text (`list`) again. */
function records(text: string): never[] {
  return JSON.parse(`[${text}]`) as never[];
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

/** The detail of several chunks as one batch's fragment, their records in order, joined as text. */
export function mergedFragment(chunks: DetailChunk[]): string {
  const samples: string[] = [];
  const spans: string[] = [];
  const profiles: string[] = [];
  for (const chunk of chunks) {
    const parts = partsOf(chunk);
    if (parts.samples) samples.push(parts.samples);
    if (parts.spans) spans.push(parts.spans);
    if (parts.profiles) profiles.push(parts.profiles);
  }
  return `"samples":[${samples.join(',')}],"spans":[${spans.join(',')}],"profiles":[${profiles.join(',')}]`;
}
