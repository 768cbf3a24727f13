// Validates an untrusted batch against wire format v1 and reports its problems with their field paths.
// The work is bounded by the limits, not by what arrives: every array and object is measured against
// what the schema allows where it lies before any item is looked at, and problems stop at maxProblems.
import * as v from './valibot.ts';
import { unreordered, visibleName, wellFormed } from './invisible-text.ts';
import { ALPHA, MIN_INDEXABLE, QuantileSketch } from './sketch.ts';
import { MAX_CELL_COUNT, MAX_DURATION_MS, SUM_TOLERANCE } from './value-bounds.ts';
import { clip, EARLIEST, LATEST, LIMITS, METHOD_KEYS, WIRE_FORMAT_VERSION, type Batch, type DetailSample, type Span, type SystemProfile, type TagValue } from './wire-format.ts';

/** One problem: `samples[3].statusCode: expected integer 100..599`. */
export interface BatchProblem {
  path: string;
  message: string;
}

export type BatchValidation = { ok: true; batch: Batch } | { ok: false; problems: BatchProblem[] };

export interface ValidateOptions {
  /** When given, times must lie within [now − maxAgeMs, now + maxSkewMs]. */
  now?: number;
  maxAgeMs?: number;
  maxSkewMs?: number;
  /** Stop collecting after this many problems (a hostile batch can have millions). */
  maxProblems?: number;
}

const DAY = 86_400_000;

const int = (min: number, max: number) => {
  const m = `expected integer ${min}..${max}`;
  return v.pipe(v.number(m), v.integer(m), v.minValue(min, m), v.maxValue(max, m));
};
const count = () => int(0, Number.MAX_SAFE_INTEGER);
const num = (min: number, max: number) => {
  const m = `expected number ${min}..${max}`;
  return v.pipe(v.number(m), v.finite(m), v.minValue(min, m), v.maxValue(max, m));
};
/** A duration in ms, within MAX_DURATION_MS (value-bounds.ts), so that sums of them stay finite. */
const duration = () => {
  const m = `expected a finite number ≥ 0 and ≤ ${MAX_DURATION_MS} (a duration in ms, at most 30 days)`;
  return v.pipe(v.number(m), v.finite(m), v.minValue(0, m), v.maxValue(MAX_DURATION_MS, m));
};
const timestamp = () => {
  const m = 'expected a time in ms since the epoch (2020..2100)';
  return v.pipe(v.number(m), v.finite(m), v.minValue(EARLIEST, m), v.maxValue(LATEST, m));
};
const text = (max: number, min = 0) => {
  const m = `expected string of ${min}..${max} characters`;
  // A lone surrogate would be U+FFFD once SQLite stores it (rollups) but kept by JSON (detail): one
  // string for both, so a route stays one route. Same length, so limits hold.
  return v.pipe(v.string(m), v.minLength(min, m), v.maxLength(max, m), v.transform(wellFormed));
};
const hex = (length: number) => {
  const m = `expected ${length} lowercase hex characters, not all zero`;
  return v.pipe(v.string(m), v.regex(new RegExp(`^[0-9a-f]{${length}}$`), m), v.regex(/[1-9a-f]/, m));
};
const method = () => v.picklist(METHOD_KEYS, `expected one of ${METHOD_KEYS.join(', ')} (any other method is sent as OTHER)`);
/** A name shown in tables and alerts: its control, bidirectional and zero-width characters become U+FFFD (visibleName). */
const name = (max: number, min = 0) => v.pipe(text(max, min), v.transform(visibleName));
/** Free text keeps its line breaks; its bidirectional controls become U+FFFD. */
const prose = (max: number) => v.pipe(text(max), v.transform(unreordered));

/**
 * What the schema allows at one place of a batch: the fields of an object, a list of at most `max`
 * items, or a record of at most `max` entries. `list`, `tags` and `strict` note theirs as they are
 * made, so the walk that bounds a batch (oversized) follows the schema and cannot drift from it.
 */
type Place =
  | { kind: 'fields'; fields: Record<string, Place> }
  | { kind: 'list'; max: number; item?: Place }
  | { kind: 'record'; max: number };
const places = new WeakMap<object, Place>();
function noted<S extends object>(schema: S, place: Place): S {
  places.set(schema, place);
  return schema;
}
/** The place a schema describes, through `optional` and `pipe`; undefined for a value with nothing inside to count. */
function placeOf(schema: unknown): Place | undefined {
  const place = places.get(schema as object);
  if (place !== undefined) return place;
  const { wrapped, pipe } = schema as { wrapped?: unknown; pipe?: readonly unknown[] };
  if (wrapped !== undefined) return placeOf(wrapped);
  return pipe !== undefined ? placeOf(pipe[0]) : undefined;
}

const list = <T extends v.GenericSchema>(item: T, max: number) => {
  const m = `expected array of at most ${max} items`;
  return noted(v.pipe(v.array(item, m), v.maxLength(max, m)), { kind: 'list', max, item: placeOf(item) });
};
const strict = <T extends v.ObjectEntries>(entries: T) => {
  const fields: Record<string, Place> = {};
  for (const [key, schema] of Object.entries(entries)) {
    const place = placeOf(schema);
    if (place !== undefined) fields[key] = place;
  }
  return noted(v.strictObject(entries, 'expected object with known fields only'), { kind: 'fields', fields });
};
/** Own enumerable keys, counted without making a list of them. */
function entryCount(value: object): number {
  let n = 0;
  for (const key in value) if (Object.hasOwn(value, key)) n++;
  return n;
}

const tagValue = v.union(
  [prose(LIMITS.tagValueLength), v.pipe(v.number(), v.finite()), v.boolean()],
  `expected string (≤ ${LIMITS.tagValueLength} characters), finite number or boolean`,
);
const tagKey = name(LIMITS.tagKeyLength, 1);

/** `key`, or, when `out` has it already, `key~2` (`~3`, …), cut to fit the key length whole characters at a time. */
function freeKey(out: Record<string, unknown>, key: string): string {
  if (!Object.hasOwn(out, key)) return key;
  for (let n = 2; ; n++) {
    const suffix = `~${n}`;
    const candidate = `${clip(key, LIMITS.tagKeyLength - suffix.length)}${suffix}`;
    if (!Object.hasOwn(out, candidate)) return candidate;
  }
}
/**
 * Checked entry by entry, not by v.record: it skips `__proto__`, `constructor` and `prototype`,
 * which user code can give our tracer. A null-prototype object keeps them as plain keys.
 */
const tags = (max: number) => {
  const m = `expected object of at most ${max} entries`;
  return noted(v.pipe(
    v.custom<Record<string, unknown>>((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && entryCount(r) <= max, m),
    v.rawTransform(({ dataset: { value: input }, addIssue }) => {
      const out: Record<string, TagValue> = Object.create(null);
      for (const [key, value] of Object.entries(input)) {
        const k = v.safeParse(tagKey, key);
        const t = v.safeParse(tagValue, value);
        for (const [origin, r] of [['key', k], ['value', t]] as const) {
          if (!r.success) addIssue({ message: r.issues[0].message, path: [{ type: 'object', origin, input, key, value }] });
        }
        // Two keys can become one once made well-formed and visible (lone surrogates; an older
        // client's `?q<ZWNJ>` and `?q<ZWJ>`): both kept, the later one numbered, where refusing had
        // cost the span its batch (a review), and keeping one would lose a tag without a word.
        if (k.success && t.success) out[freeKey(out, k.output)] = t.output;
      }
      return out;
    }),
  ), { kind: 'record', max });
};

const identity = strict({
  app: name(LIMITS.nameLength, 1),
  service: name(LIMITS.nameLength, 1),
  instance: name(LIMITS.nameLength, 1),
  pid: v.optional(int(0, 2 ** 32)),
  runtime: name(LIMITS.nameLength, 1),
  runtimeVersion: name(LIMITS.nameLength),
  sdkVersion: name(LIMITS.nameLength),
  sampling: v.optional(strict({
    sampleRate: v.optional(num(0, 1)),
    samplesPerSecond: v.optional(num(0, 1_000_000)),
    traceSampleRate: v.optional(num(0, 1)),
    tracesPerSecond: v.optional(num(0, 1_000_000)),
    parentTracesPerSecond: v.optional(num(0, 1_000_000)),
    routeFairness: v.optional(v.boolean()),
  })),
});

const rollupCell = strict({
  minute: timestamp(),
  seconds: v.optional(v.picklist([10, 60], 'expected 10 or 60 (the width of the cell in seconds)')),
  method: method(),
  route: name(LIMITS.routeLength, 1),
  statusClass: v.picklist(['1xx', '2xx', '3xx', '4xx', '5xx'], 'expected one of 1xx, 2xx, 3xx, 4xx, 5xx'),
  count: int(1, MAX_CELL_COUNT),
  errors: count(),
  durationSum: num(0, MAX_CELL_COUNT * MAX_DURATION_MS),
  durationMin: duration(),
  durationMax: duration(),
  bytes: count(),
  sketch: text(LIMITS.sketchLength, 1),
});

const sample = strict({
  timestamp: timestamp(),
  method: method(),
  path: name(LIMITS.pathLength, 1),
  route: name(LIMITS.routeLength, 1),
  statusCode: int(100, 599),
  duration: duration(),
  userAgent: v.optional(name(LIMITS.userAgentLength)),
  memoryUsage: v.optional(strict({ rss: count(), heapUsed: count(), heapTotal: count() })),
  cpuUsage: v.optional(num(0, 100_000)),
  traceId: v.optional(hex(32)),
  spanId: v.optional(hex(16)),
  responseSize: v.optional(count()),
  error: v.optional(prose(LIMITS.errorLength)),
});

const spanLog = strict({
  timestamp: timestamp(),
  level: name(16, 1),
  message: prose(LIMITS.logMessageLength),
  fields: v.optional(tags(LIMITS.fieldsPerLog)),
});

const spanFields = strict({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: v.optional(hex(16)),
  name: name(LIMITS.routeLength, 1),
  kind: v.picklist(['server', 'client', 'internal'], 'expected one of server, client, internal'),
  startTime: timestamp(),
  duration: duration(),
  status: v.picklist(['ok', 'error', 'unset'], 'expected one of ok, error, unset'),
  error: v.optional(prose(LIMITS.errorLength)),
  tags: tags(LIMITS.tagsPerSpan),
  logs: list(spanLog, LIMITS.logsPerSpan),
});
const spanTooLong = `expected a span of at most ${LIMITS.spanLength} characters of JSON (its logs make it longer)`;
const span = v.pipe(spanFields, v.check((s) => s.logs.length === 0 || JSON.stringify(s).length <= LIMITS.spanLength, spanTooLong));

const profile = strict({
  timestamp: timestamp(),
  rss: count(),
  heapUsed: count(),
  heapTotal: count(),
  cpuPercent: num(0, 100_000),
  eventLoopLagMs: duration(),
  inFlight: count(),
});

/** The items of a batch's lists, validated one by one (validateBatch). */
const ITEMS = { rollups: rollupCell, samples: sample, spans: span, profiles: profile };
type ListField = keyof typeof ITEMS;
const LIST_FIELDS = Object.keys(ITEMS) as ListField[];

const batchSchema = strict({
  version: v.literal(WIRE_FORMAT_VERSION, `expected ${WIRE_FORMAT_VERSION} (the only format version this edge reads)`),
  batchId: v.pipe(
    v.string('expected 16..64 characters of [A-Za-z0-9_-]'),
    v.regex(/^[A-Za-z0-9_-]{16,64}$/, 'expected 16..64 characters of [A-Za-z0-9_-]'),
  ),
  identity,
  window: strict({ start: timestamp(), end: timestamp() }),
  rollups: list(ITEMS.rollups, LIMITS.rollups),
  samples: list(ITEMS.samples, LIMITS.samples),
  spans: list(ITEMS.spans, LIMITS.spans),
  profiles: list(ITEMS.profiles, LIMITS.profiles),
  dropped: strict({ rollups: count(), samples: count(), spans: count(), profiles: count(), requests: v.optional(count()), parentTraces: v.optional(count()) }),
  carriedProfiles: v.optional(v.literal(true, 'expected true (samples carry memory and CPU figures forward) or absent')),
});

/** Every array and object of a batch, bounded where it lies. */
const BATCH_PLACE = placeOf(batchSchema)!;

/** Arrays and objects open at once at a place, itself included: a record's entries are single values. */
function depthOf(place: Place): number {
  if (place.kind === 'record') return 1;
  if (place.kind === 'list') return 1 + (place.item === undefined ? 0 : depthOf(place.item));
  return 1 + Math.max(0, ...Object.values(place.fields).map(depthOf));
}
/** The deepest a valid batch nests arrays and objects (a span's log's fields: 6), read from the schema. */
export const BATCH_DEPTH = depthOf(BATCH_PLACE);
/** The batch with its lists' items left unchecked: they are checked one by one, up to maxProblems. */
const anything = v.custom<unknown>(() => true);
const batchHead = v.strictObject({
  ...batchSchema.entries,
  rollups: list(anything, LIMITS.rollups),
  samples: list(anything, LIMITS.samples),
  spans: list(anything, LIMITS.spans),
  profiles: list(anything, LIMITS.profiles),
}, 'expected object with known fields only');

/**
 * Checks an untrusted value against wire format v1.
 *
 * @example
 * const result = validateBatch(JSON.parse(body), { now: Date.now() });
 * if (!result.ok) return Response.json({ problems: result.problems }, { status: 400 });
 */
export function validateBatch(input: unknown, options: ValidateOptions = {}): BatchValidation {
  const maxProblems = Math.max(1, options.maxProblems ?? 50);
  if (Array.isArray(input)) return { ok: false, problems: [{ path: '', message: 'expected a batch object, got an array' }] };
  // An array or object longer than its place allows is refused before any item is looked at: 10
  // million items in a span's logs (20 KB gzipped) once ran workerd out of heap collecting a problem each.
  const oversize = oversized(input, BATCH_PLACE);
  if (oversize !== null) return { ok: false, problems: [oversize] };
  const head = v.safeParse(batchHead, input, { abortEarly: false });
  const problems: BatchProblem[] = head.success ? [] : head.issues.slice(0, maxProblems).map((issue) => toProblem(issue));
  // Item by item, so that the work and the problems kept stop at maxProblems however many items are bad.
  const lists: Partial<Record<ListField, unknown[]>> = {};
  for (const field of LIST_FIELDS) {
    const items = head.success ? head.output[field] : (input as Record<string, unknown> | null)?.[field];
    if (!Array.isArray(items)) continue;
    const valid: unknown[] = [];
    for (let i = 0; i < items.length && problems.length < maxProblems; i++) {
      const item = v.safeParse(ITEMS[field], items[i], { abortEarly: false });
      if (item.success) valid.push(item.output);
      else for (const issue of item.issues.slice(0, maxProblems - problems.length)) problems.push(toProblem(issue, `${field}[${i}]`));
    }
    lists[field] = valid;
  }
  if (problems.length > 0 || !head.success) return { ok: false, problems };
  const batch = { ...head.output, ...lists } as Batch;
  const semantic = semanticProblems(batch, options).slice(0, maxProblems);
  return semantic.length > 0 ? { ok: false, problems: semantic } : { ok: true, batch };
}

/**
 * The first array or object in `value` longer than the schema allows where it lies (an array
 * where an object belongs counts too: the schema would read its every index as a key). Only
 * places the schema knows are entered, and each is measured before its items, so the walk
 * costs at most what a batch within the limits holds.
 */
function oversized(value: unknown, place: Place): BatchProblem | null {
  // Anything else is of the wrong type or a single value: the schema refuses it without looking inside.
  if (value === null || typeof value !== 'object') return null;
  if (place.kind === 'list') {
    if (!Array.isArray(value)) return null;
    if (value.length > place.max) return { path: '', message: `expected array of at most ${place.max} items, got ${value.length}` };
    if (place.item !== undefined) {
      for (let i = 0; i < value.length; i++) {
        const problem = oversized(value[i], place.item);
        if (problem !== null) return within(`[${i}]`, problem);
      }
    }
    return null;
  }
  if (place.kind === 'record') {
    if (Array.isArray(value)) return { path: '', message: `expected object of at most ${place.max} entries, got an array of ${value.length} items` };
    const entries = entryCount(value);
    return entries > place.max ? { path: '', message: `expected object of at most ${place.max} entries, got ${entries}` } : null;
  }
  if (Array.isArray(value)) return { path: '', message: `expected object with known fields only, got an array of ${value.length} items` };
  for (const [key, below] of Object.entries(place.fields)) {
    if (!Object.hasOwn(value, key)) continue;
    const problem = oversized((value as Record<string, unknown>)[key], below);
    if (problem !== null) return within(key, problem);
  }
  return null;
}

/** `problem`, one level down: its path under `key` (a field name or `[i]`). */
function within(key: string, problem: BatchProblem): BatchProblem {
  const path = problem.path === '' ? key : problem.path.startsWith('[') ? `${key}${problem.path}` : `${key}.${problem.path}`;
  return { path, message: problem.message };
}

/**
 * Whether one detail record read back from storage still passes the wire format's checks of its
 * kind: a store decoding its own rows treats them as untrusted too (an older version, or damage).
 */
export const isValidRecord = {
  sample: (value: unknown): value is DetailSample => v.is(sample, value),
  span: (value: unknown): value is Span => v.is(span, value),
  profile: (value: unknown): value is SystemProfile => v.is(profile, value),
};

/** `samples[3].statusCode: expected integer 100..599` */
export function formatProblem(problem: BatchProblem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

function toProblem(issue: v.BaseIssue<unknown>, prefix = ''): BatchProblem {
  let path = prefix;
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  // Valibot reports a missing field as a type mismatch of `undefined`; say what it is.
  const missing = path !== '' && issue.input === undefined && issue.kind === 'schema';
  return { path, message: missing ? 'missing' : issue.message };
}

/**
 * Whether a sketch's own minimum or maximum agrees with the cell's: within the sketch's relative
 * accuracy, or both below the smallest value it tells apart from zero. A client's agree exactly
 * (both are kept from the same durations), so this tolerance only ever lets through what is
 * indistinguishable in every answer the sketch gives.
 */
const near = (sketch: number, cell: number) => Math.abs(sketch - cell) <= ALPHA * Math.max(sketch, cell) + MIN_INDEXABLE;

/** What a schema can't say: relations between fields, sketches that must decode, clock skew. */
function semanticProblems(batch: Batch, options: ValidateOptions): BatchProblem[] {
  const problems: BatchProblem[] = [];
  const { window } = batch;
  if (window.start > window.end) problems.push({ path: 'window.start', message: 'expected start ≤ end' });
  batch.rollups.forEach((cell, i) => {
    const at = `rollups[${i}]`;
    const width = (cell.seconds ?? 60) * 1000;
    if (cell.minute % width !== 0) {
      problems.push({ path: `${at}.minute`, message: width === 60_000 ? 'expected the start of a minute (a multiple of 60000)' : `expected the start of its ${cell.seconds} seconds (a multiple of ${width})` });
    }
    if (cell.errors > cell.count) problems.push({ path: `${at}.errors`, message: 'expected errors ≤ count' });
    if (cell.durationMin > cell.durationMax) problems.push({ path: `${at}.durationMin`, message: 'expected durationMin ≤ durationMax' });
    if (cell.durationSum > cell.count * cell.durationMax * (1 + SUM_TOLERANCE)) {
      problems.push({ path: `${at}.durationSum`, message: 'expected durationSum ≤ count × durationMax' });
    } else if (cell.durationSum < cell.count * cell.durationMin * (1 - SUM_TOLERANCE)) {
      problems.push({ path: `${at}.durationSum`, message: 'expected durationSum ≥ count × durationMin' });
    }
    try {
      const sketch = QuantileSketch.fromBase64(cell.sketch);
      if (sketch.count !== cell.count) problems.push({ path: `${at}.sketch`, message: `expected a sketch of count ${cell.count}, got ${sketch.count}` });
      else if (sketch.max > cell.durationMax) problems.push({ path: `${at}.sketch`, message: `expected a sketch of values ≤ durationMax, got a maximum of ${sketch.max}` });
      else if (!near(sketch.max, cell.durationMax)) problems.push({ path: `${at}.sketch`, message: `expected a sketch whose maximum is durationMax (${cell.durationMax}) within ${ALPHA * 100} %, got ${sketch.max}` });
      else if (!near(sketch.min, cell.durationMin)) problems.push({ path: `${at}.sketch`, message: `expected a sketch whose minimum is durationMin (${cell.durationMin}) within ${ALPHA * 100} %, got ${sketch.min}` });
    } catch (error) {
      problems.push({ path: `${at}.sketch`, message: `expected a base64 quantile sketch (${(error as Error).message})` });
    }
  });
  if (options.now !== undefined) {
    const earliest = options.now - (options.maxAgeMs ?? 7 * DAY);
    const latest = options.now + (options.maxSkewMs ?? 5 * 60_000);
    const check = (time: number, path: string) => {
      if (time < earliest) problems.push({ path, message: `too old: ${new Date(time).toISOString()} is before ${new Date(earliest).toISOString()}` });
      else if (time > latest) problems.push({ path, message: `in the future: ${new Date(time).toISOString()} is after ${new Date(latest).toISOString()} (check the sender's clock)` });
    };
    check(window.start, 'window.start');
    check(window.end, 'window.end');
    batch.rollups.forEach((c, i) => check(c.minute, `rollups[${i}].minute`));
    batch.samples.forEach((s, i) => check(s.timestamp, `samples[${i}].timestamp`));
    batch.spans.forEach((s, i) => check(s.startTime, `spans[${i}].startTime`));
    batch.profiles.forEach((p, i) => check(p.timestamp, `profiles[${i}].timestamp`));
  }
  return problems;
}
