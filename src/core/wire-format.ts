// Wire format v1: the batch a Bun app ships to the edge. Types and the limits that are part of it.

import { visibleName, wellFormed } from './invisible-text.ts';

export const WIRE_FORMAT_VERSION = 1;

/** A method as a query or a rule names it: 1..16 capitals (`LIMITS.methodLength`). */
export const HTTP_METHOD = /^[A-Z]{1,16}$/;

/**
 * The methods a batch carries: the standard ones, and OTHER for any other token a client sent
 * (request-key.ts's methodKey), so that a method cannot multiply an app's routes.
 */
export const METHOD_KEYS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'OTHER'] as const;

/** Limits enforced by the validator; a client keeps its batches inside them. */
export const LIMITS = {
  rollups: 5_000,
  samples: 5_000,
  spans: 10_000,
  profiles: 1_000,
  idLength: 64,
  nameLength: 128,
  methodLength: 16,
  routeLength: 256,
  pathLength: 2_048,
  userAgentLength: 512,
  errorLength: 1_024,
  sketchLength: 16_384,
  tagsPerSpan: 64,
  tagKeyLength: 128,
  tagValueLength: 1_024,
  logsPerSpan: 64,
  logMessageLength: 2_048,
  fieldsPerLog: 32,
  /**
   * A span's JSON, in characters: stored, it is at most 3 bytes a character, inside a SQLite row's
   * 2 MB. Only logs can take a span past it (tags and fields at their limits, escaped, stay under).
   */
  spanLength: 524_288,
} as const;

/**
 * `text` cut to at most `max` characters (one of LIMITS), so a record passes validation; never
 * between the two halves of a pair (an emoji): a lone half made `encodeURIComponent` throw.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * `text` as the edge keeps a name (a tag's key, a log field's): cut to `max` (clip), each lone
 * surrogate, control, bidirectional or zero-width character as U+FFFD (validate-batch.ts's `name`).
 * Keys the edge would make one are made one here, so no span is refused for them, nor its batch
 * (`?a%01=1&a%02=2`, captured as query tags, had cost a batch's counts).
 */
export function wireName(text: string, max: number): string {
  return visibleName(wellFormed(clip(text, max)));
}

/** A time in ms kept to the µs: an epoch in ms as a double resolves ≈ 0.24 µs, and the digits below are noise gzip cannot shrink. */
export function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** The earliest and latest times a batch may carry; the stores use LATEST as the end of time. */
export const EARLIEST = Date.UTC(2020, 0, 1);
export const LATEST = Date.UTC(2100, 0, 1);

/**
 * The header naming a batch's instance (identity.instance, percent-encoded: header values are
 * bytes), so a sharded edge picks its store without reading the body.
 */
export const INSTANCE_HEADER = 'x-bun-apm-instance';

/** Who sent the batch. */
export interface Identity {
  app: string;
  service: string;
  instance: string;
  /** The process id behind the instance: a detail (the instance id stays across restarts); absent from older clients. */
  pid?: number;
  runtime: string;
  runtimeVersion: string;
  sdkVersion: string;
  /** How this instance samples detail and traces (absent from clients before adaptive sampling). */
  sampling?: SamplingPolicy;
}

/**
 * Either a fixed share of requests (`sampleRate`, `traceSampleRate`) or a cap per second per
 * instance (`samplesPerSecond`, `tracesPerSecond`) for each of detail and traces. Counts never depend on it.
 */
export interface SamplingPolicy {
  sampleRate?: number;
  samplesPerSecond?: number;
  traceSampleRate?: number;
  tracesPerSecond?: number;
  /** Cap on callers' sampled traceparents followed. */
  parentTracesPerSecond?: number;
  /** Adaptive detail keeps a reserve for rare routes. */
  routeFairness?: boolean;
}

/** Every request lands in exactly one cell. Times are ms since the epoch. */
export interface RollupCell {
  /** Start of the cell's window: of its minute (a multiple of 60 000), or of its 10 seconds when `seconds` is 10. */
  minute: number;
  /** Width of the window in seconds: 10, or a minute when absent (60). Absent from older clients. */
  seconds?: 10 | 60;
  method: string;
  /** Route template (`/users/:id`), never a raw path. */
  route: string;
  statusClass: StatusClass;
  count: number;
  /** 5xx responses and thrown handlers. */
  errors: number;
  durationSum: number;
  durationMin: number;
  durationMax: number;
  /** Response bytes where known without reading a header or the body (a static route's); else 0. */
  bytes: number;
  /** Base64 of a QuantileSketch of the durations (ms). */
  sketch: string;
}

/** A sampled request's detail record: the spec's PerformanceMetrics. */
export interface DetailSample {
  timestamp: number;
  method: string;
  path: string;
  route: string;
  statusCode: number;
  /** Response time in ms. */
  duration: number;
  userAgent?: string;
  /** Memory at the latest system profile, bytes. */
  memoryUsage?: { rss: number; heapUsed: number; heapTotal: number };
  /** CPU % at the latest system profile. */
  cpuUsage?: number;
  traceId?: string;
  spanId?: string;
  responseSize?: number;
  /** Error class of a thrown handler. */
  error?: string;
}

export type SpanKind = 'server' | 'client' | 'internal';
export type SpanStatus = 'ok' | 'error' | 'unset';
export type TagValue = string | number | boolean;

export interface SpanLog {
  timestamp: number;
  level: string;
  message: string;
  fields?: Record<string, TagValue>;
}

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  /** ms since the epoch, fractional. */
  startTime: number;
  /** ms. */
  duration: number;
  status: SpanStatus;
  error?: string;
  tags: Record<string, TagValue>;
  logs: SpanLog[];
}

export interface SystemProfile {
  timestamp: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** CPU % of one core since the previous profile (can pass 100 on several cores). */
  cpuPercent: number;
  eventLoopLagMs: number;
  inFlight: number;
}

/** What the client had to drop (bounded buffers, failed exports), since its last accepted batch. */
export interface DroppedCounters {
  rollups: number;
  samples: number;
  spans: number;
  profiles: number;
  /** Requests whose counts were lost (the sum of the lost cells' counts); absent from older clients. */
  requests?: number;
  /**
   * Callers' sampled traces passed on unsampled (past the instance's parentTracesPerSecond): their
   * traces lack this service's spans. Sent only to an edge whose answer lists it in `accepts`.
   */
  parentTraces?: number;
}

/**
 * Fields added to v1 after edges were deployed, which a client sends only once an edge's ingest
 * answer lists them (`accepts`): an edge validates strictly, so an older one would refuse the batch.
 */
export const WIRE_ADDITIONS = ['dropped.parentTraces', 'carriedProfiles'] as const;
export type WireAddition = (typeof WIRE_ADDITIONS)[number];

/**
 * Gives each record with neither `memoryUsage` nor `cpuUsage` those of the latest record before it
 * with either, in place. The figures were a third of a record's JSON, the same until the next profile.
 */
export function fillCarriedProfiles(samples: DetailSample[]): void {
  let carried: DetailSample | undefined;
  for (const sample of samples) {
    if (hasProfileFigures(sample)) carried = sample;
    else if (carried !== undefined) carryProfile(carried, sample);
  }
}

export function hasProfileFigures(sample: DetailSample): boolean {
  return sample.memoryUsage !== undefined || sample.cpuUsage !== undefined;
}

/** A batch marked `carriedProfiles` made plain v1 again, in place: every sample's figures written out, the mark dropped. */
export function writeOutCarriedProfiles(batch: Batch): void {
  if (!batch.carriedProfiles) return;
  fillCarriedProfiles(batch.samples);
  delete batch.carriedProfiles;
}

/** `to` takes the figures of `from` (the same memory object, as records of one profile share it). */
export function carryProfile(from: DetailSample, to: DetailSample): void {
  if (from.memoryUsage !== undefined) to.memoryUsage = from.memoryUsage;
  if (from.cpuUsage !== undefined) to.cpuUsage = from.cpuUsage;
}

export interface Batch {
  version: typeof WIRE_FORMAT_VERSION;
  /** Unique per batch and the same across retries of it, so the edge stores it once. */
  batchId: string;
  identity: Identity;
  window: { start: number; end: number };
  rollups: RollupCell[];
  samples: DetailSample[];
  spans: Span[];
  profiles: SystemProfile[];
  dropped: DroppedCounters;
  /** Samples leave out memory and CPU figures they share with an earlier one (fillCarriedProfiles). A wire addition. */
  carriedProfiles?: true;
}

export function statusClassOf(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}
