// Validates an untrusted batch against wire format v1 and reports every problem with its field path.
import * as v from './valibot.ts';
import { QuantileSketch } from './sketch.ts';
import { MAX_CELL_COUNT, MAX_DURATION_MS, SUM_TOLERANCE } from './value-bounds.ts';
import { EARLIEST, HTTP_METHOD, LATEST, LIMITS, WIRE_FORMAT_VERSION, type Batch, type DetailSample, type Span, type SystemProfile, type TagValue } from './wire-format.ts';

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
/** ES2024, past our lib setting; Bun and workerd have it. */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };
const text = (max: number, min = 0) => {
  const m = `expected string of ${min}..${max} characters`;
  // A lone surrogate would be U+FFFD once SQLite stores it (rollups) but kept by JSON (detail): one
  // string for both, so a route stays one route. Same length, so limits hold.
  const wellFormed = (s: string) => ((s as WellFormed).isWellFormed() ? s : (s as WellFormed).toWellFormed());
  return v.pipe(v.string(m), v.minLength(min, m), v.maxLength(max, m), v.transform(wellFormed));
};
const hex = (length: number) => {
  const m = `expected ${length} lowercase hex characters, not all zero`;
  return v.pipe(v.string(m), v.regex(new RegExp(`^[0-9a-f]{${length}}$`), m), v.regex(/[1-9a-f]/, m));
};
const method = () => {
  const m = 'expected an HTTP method (1..16 uppercase letters)';
  return v.pipe(v.string(m), v.regex(HTTP_METHOD, m));
};
const list = <T extends v.GenericSchema>(item: T, max: number) => {
  const m = `expected array of at most ${max} items`;
  return v.pipe(v.array(item, m), v.maxLength(max, m));
};
const strict = <T extends v.ObjectEntries>(entries: T) => v.strictObject(entries, 'expected object with known fields only');

const tagValue = v.union(
  [text(LIMITS.tagValueLength), v.pipe(v.number(), v.finite()), v.boolean()],
  `expected string (≤ ${LIMITS.tagValueLength} characters), finite number or boolean`,
);
const tagKey = text(LIMITS.tagKeyLength, 1);
/**
 * Checked entry by entry, not by v.record: it skips `__proto__`, `constructor` and `prototype`,
 * which user code can give our tracer. A null-prototype object keeps them as plain keys.
 */
const tags = (max: number) => {
  const m = `expected object of at most ${max} entries`;
  return v.pipe(
    v.custom<Record<string, unknown>>((r) => typeof r === 'object' && r !== null && Object.keys(r).length <= max, m),
    v.rawTransform(({ dataset: { value: input }, addIssue }) => {
      const out: Record<string, TagValue> = Object.create(null);
      for (const [key, value] of Object.entries(input)) {
        const k = v.safeParse(tagKey, key);
        const t = v.safeParse(tagValue, value);
        for (const [origin, r] of [['key', k], ['value', t]] as const) {
          if (!r.success) addIssue({ message: r.issues[0].message, path: [{ type: 'object', origin, input, key, value }] });
        }
        // Two keys with lone surrogates can become one: refused, rather than one tag lost without a word.
        if (k.success && Object.hasOwn(out, k.output)) addIssue({ message: 'a duplicate key once made well-formed', path: [{ type: 'object', origin: 'key', input, key, value }] });
        else if (k.success && t.success) out[k.output] = t.output;
      }
      return out;
    }),
  );
};

const identity = strict({
  app: text(LIMITS.nameLength, 1),
  service: text(LIMITS.nameLength, 1),
  instance: text(LIMITS.nameLength, 1),
  pid: v.optional(int(0, 2 ** 32)),
  runtime: text(LIMITS.nameLength, 1),
  runtimeVersion: text(LIMITS.nameLength),
  sdkVersion: text(LIMITS.nameLength),
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
  route: text(LIMITS.routeLength, 1),
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
  path: text(LIMITS.pathLength, 1),
  route: text(LIMITS.routeLength, 1),
  statusCode: int(100, 599),
  duration: duration(),
  userAgent: v.optional(text(LIMITS.userAgentLength)),
  memoryUsage: v.optional(strict({ rss: count(), heapUsed: count(), heapTotal: count() })),
  cpuUsage: v.optional(num(0, 100_000)),
  traceId: v.optional(hex(32)),
  spanId: v.optional(hex(16)),
  responseSize: v.optional(count()),
  error: v.optional(text(LIMITS.errorLength)),
});

const spanLog = strict({
  timestamp: timestamp(),
  level: text(16, 1),
  message: text(LIMITS.logMessageLength),
  fields: v.optional(tags(LIMITS.fieldsPerLog)),
});

const spanFields = strict({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: v.optional(hex(16)),
  name: text(LIMITS.routeLength, 1),
  kind: v.picklist(['server', 'client', 'internal'], 'expected one of server, client, internal'),
  startTime: timestamp(),
  duration: duration(),
  status: v.picklist(['ok', 'error', 'unset'], 'expected one of ok, error, unset'),
  error: v.optional(text(LIMITS.errorLength)),
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

const batchSchema = strict({
  version: v.literal(WIRE_FORMAT_VERSION, `expected ${WIRE_FORMAT_VERSION} (the only format version this edge reads)`),
  batchId: v.pipe(
    v.string('expected 16..64 characters of [A-Za-z0-9_-]'),
    v.regex(/^[A-Za-z0-9_-]{16,64}$/, 'expected 16..64 characters of [A-Za-z0-9_-]'),
  ),
  identity,
  window: strict({ start: timestamp(), end: timestamp() }),
  rollups: list(rollupCell, LIMITS.rollups),
  samples: list(sample, LIMITS.samples),
  spans: list(span, LIMITS.spans),
  profiles: list(profile, LIMITS.profiles),
  dropped: strict({ rollups: count(), samples: count(), spans: count(), profiles: count(), requests: v.optional(count()), parentTraces: v.optional(count()) }),
  carriedProfiles: v.optional(v.literal(true, 'expected true (samples carry memory and CPU figures forward) or absent')),
});

const ARRAY_LIMITS = { rollups: LIMITS.rollups, samples: LIMITS.samples, spans: LIMITS.spans, profiles: LIMITS.profiles };

/**
 * Checks an untrusted value against wire format v1.
 *
 * @example
 * const result = validateBatch(JSON.parse(body), { now: Date.now() });
 * if (!result.ok) return Response.json({ problems: result.problems }, { status: 400 });
 */
export function validateBatch(input: unknown, options: ValidateOptions = {}): BatchValidation {
  const maxProblems = options.maxProblems ?? 50;
  if (Array.isArray(input)) return { ok: false, problems: [{ path: '', message: 'expected a batch object, got an array' }] };
  // Oversized arrays are refused before any item is looked at, so a hostile batch costs little.
  if (input !== null && typeof input === 'object') {
    for (const [field, max] of Object.entries(ARRAY_LIMITS)) {
      const value = (input as Record<string, unknown>)[field];
      if (Array.isArray(value) && value.length > max) {
        return { ok: false, problems: [{ path: field, message: `expected array of at most ${max} items, got ${value.length}` }] };
      }
    }
  }
  const parsed = v.safeParse(batchSchema, input, { abortEarly: false });
  if (!parsed.success) {
    return { ok: false, problems: parsed.issues.slice(0, maxProblems).map(toProblem) };
  }
  const batch = parsed.output as Batch;
  const problems = semanticProblems(batch, options).slice(0, maxProblems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, batch };
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

function toProblem(issue: v.BaseIssue<unknown>): BatchProblem {
  let path = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  // Valibot reports a missing field as a type mismatch of `undefined`; say what it is.
  const missing = path !== '' && issue.input === undefined && issue.kind === 'schema';
  return { path, message: missing ? 'missing' : issue.message };
}

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
    }
    try {
      const sketch = QuantileSketch.fromBase64(cell.sketch);
      if (sketch.count !== cell.count) problems.push({ path: `${at}.sketch`, message: `expected a sketch of count ${cell.count}, got ${sketch.count}` });
      else if (sketch.max > cell.durationMax) problems.push({ path: `${at}.sketch`, message: `expected a sketch of values ≤ durationMax, got a maximum of ${sketch.max}` });
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
