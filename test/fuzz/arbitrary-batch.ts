// fast-check arbitraries for the wire format: batches a real client could send (with extreme but
// valid values), and mutations of them that a hostile or broken sender could send instead.
import fc from 'fast-check';
import { RollupTable } from '../../src/core/rollup.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { MAX_DURATION_MS } from '../../src/core/value-bounds.ts';
import { putTag } from '../../src/middleware/tracer/tag-value.ts';
import { LIMITS, METHOD_KEYS, type Batch, type DetailSample, type Span, type SystemProfile, type TagValue } from '../../src/core/wire-format.ts';

const HEX = '0123456789abcdef'.split('');
const hexId = (length: number) => fc.array(fc.constantFrom(...HEX), { minLength: length, maxLength: length })
  .map((chars) => chars.join(''))
  .filter((id) => /[1-9a-f]/.test(id));

/** Durations (ms) from the edges of what is allowed as well as ordinary ones. */
export const duration = fc.oneof(
  fc.constantFrom(0, 1e-9, 1e-6, 1.000001e-6, 0.5, 1, 499.99, 500, 2000, 86_400_000, MAX_DURATION_MS),
  fc.double({ min: 0, max: 10_000, noNaN: true }),
  fc.double({ min: 0, max: MAX_DURATION_MS, noNaN: true }),
);

/** Text of every kind: markup, control characters, lone surrogates, long runs; min..max UTF-16 units as the validator counts. */
export const text = (max: number, min = 0) => fc.oneof(
  fc.string({ minLength: min, maxLength: Math.min(max, 40) }),
  fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'binary' }),
  fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '\u0000\u001f\u2028', '../../etc/passwd', 'NaN', '__proto__'),
  fc.nat({ max }).map((n) => 'x'.repeat(Math.max(n, min))),
).map((s) => s.slice(0, max)).filter((s) => s.length >= min);

const route = fc.oneof(fc.constantFrom('/', '/users/:id', '/orders', '/a/:b/c'), text(LIMITS.routeLength, 1).map((s) => (s.startsWith('/') ? s : `/${s}`).slice(0, LIMITS.routeLength)));
// What a conforming client sends: the standard methods, any other as OTHER (request-key.ts).
const method = fc.constantFrom(...METHOD_KEYS);
const status = fc.oneof(fc.constantFrom(100, 101, 200, 204, 301, 304, 400, 404, 429, 500, 503, 599), fc.integer({ min: 100, max: 599 }));
const count = fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER), fc.nat());
const tagValue = fc.oneof(text(LIMITS.tagValueLength), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.integer());
/** Tags as a client's tracer sets them (putTag): keys of any text, made into the names the edge keeps. */
const tags = (max: number) => fc.dictionary(text(LIMITS.tagKeyLength, 1), tagValue, { maxKeys: Math.min(max, 6) }).map((raw) => {
  const out: Record<string, TagValue> = {};
  for (const [key, value] of Object.entries(raw)) putTag(out, key, value);
  return out;
});

/** One request as the recorder sees it: the cells are built by core's RollupTable, as a client builds them. */
const request = fc.record({
  offsetMs: fc.nat({ max: 59_999 }),
  method,
  route,
  status,
  duration,
  bytes: fc.oneof(fc.nat({ max: 1_000_000 }), fc.constantFrom(0, 2 ** 40, Number.MAX_SAFE_INTEGER)),
  thrown: fc.boolean(),
  times: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1_000_000 }), fc.constant(2 ** 30)),
});

function sample(minute: number) {
  return fc.record({
    timestamp: fc.nat({ max: 59_999 }).map((o) => minute + o),
    method, path: text(LIMITS.pathLength, 1), route, statusCode: status, duration,
    userAgent: fc.option(text(LIMITS.userAgentLength), { nil: undefined }),
    memoryUsage: fc.option(fc.record({ rss: count, heapUsed: count, heapTotal: count }), { nil: undefined }),
    cpuUsage: fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
    traceId: fc.option(hexId(32), { nil: undefined }),
    spanId: fc.option(hexId(16), { nil: undefined }),
    responseSize: fc.option(count, { nil: undefined }),
    error: fc.option(text(LIMITS.errorLength), { nil: undefined }),
  }, { requiredKeys: ['timestamp', 'method', 'path', 'route', 'statusCode', 'duration'] })
    .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as DetailSample);
}

function span(minute: number, traceIds: string[]) {
  return fc.record({
    traceId: fc.constantFrom(...traceIds),
    spanId: hexId(16),
    parentSpanId: fc.option(hexId(16), { nil: undefined }),
    name: text(LIMITS.routeLength, 1),
    kind: fc.constantFrom('server', 'client', 'internal') as fc.Arbitrary<Span['kind']>,
    startTime: fc.double({ min: 0, max: 59_999, noNaN: true }).map((o) => minute + o),
    duration,
    status: fc.constantFrom('ok', 'error', 'unset') as fc.Arbitrary<Span['status']>,
    error: fc.option(text(LIMITS.errorLength), { nil: undefined }),
    tags: fc.oneof(tags(LIMITS.tagsPerSpan), fc.record({ 'http.route': route, 'http.method': method, 'http.status_code': fc.oneof(status, text(8)) })),
    logs: fc.array(fc.record({
      timestamp: fc.nat({ max: 59_999 }).map((o) => minute + o),
      level: text(16, 1),
      message: text(LIMITS.logMessageLength),
    }), { maxLength: 3 }),
  }, { requiredKeys: ['traceId', 'spanId', 'name', 'kind', 'startTime', 'duration', 'status', 'tags', 'logs'] })
    .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as Span);
}

function profile(minute: number): fc.Arbitrary<SystemProfile> {
  return fc.record({
    timestamp: fc.nat({ max: 59_999 }).map((o) => minute + o),
    rss: count, heapUsed: count, heapTotal: count,
    cpuPercent: fc.double({ min: 0, max: 100_000, noNaN: true }),
    eventLoopLagMs: duration,
    inFlight: count,
  });
}

let batchCounter = 0;

/**
 * A batch a conforming client could send for the minutes up to `now` (within the last `spanMinutes`):
 * every value inside the wire format's bounds, many of them at the edges.
 */
export function arbitraryBatch(now: number, spanMinutes = 30): fc.Arbitrary<Batch> {
  const current = now - (now % 60_000);
  return fc.record({
    minuteBack: fc.nat({ max: spanMinutes - 1 }),
    requests: fc.array(request, { maxLength: 25 }),
    traceIds: fc.array(hexId(32), { minLength: 1, maxLength: 3 }),
    instance: fc.oneof(fc.constantFrom('host-1:1', 'host-2:2'), text(LIMITS.nameLength, 1)),
  }).chain(({ minuteBack, requests, traceIds, instance }) => {
    const minute = current - minuteBack * 60_000;
    const table = new RollupTable();
    for (const r of requests) table.record(minute + r.offsetMs, r.method, r.route, r.status, r.duration, r.bytes, r.thrown, r.times);
    const rollups = table.drain();
    return fc.record({
      samples: fc.array(sample(minute), { maxLength: 8 }),
      spans: fc.array(span(minute, traceIds), { maxLength: 8 }),
      profiles: fc.array(profile(minute), { maxLength: 3 }),
      dropped: fc.record({ rollups: count, samples: count, spans: count, profiles: count }),
      // Marked, the edge fills each sample's memory and CPU figures from the samples before it.
      carriedProfiles: fc.option(fc.constant(true as const), { nil: undefined }),
    }).map(({ carriedProfiles, ...detail }): Batch => ({
      version: 1,
      batchId: `fuzz-${Date.now().toString(36)}-${(++batchCounter).toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      identity: { app: 'shop', service: 'fuzz', instance, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
      window: { start: minute, end: minute + 59_999 },
      rollups,
      ...detail,
      ...(carriedProfiles && { carriedProfiles }),
    }));
  });
}

/** `rollups[2].sketch` from ['rollups', 2, 'sketch']: the validator's way of naming a field. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : key;
  return out;
}

/** Every path in a JSON value, the root's children first. */
function pathsOf(value: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) value.forEach((item, i) => { out.push([...prefix, i]); pathsOf(item, [...prefix, i], out); });
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      pathsOf(item, [...prefix, key], out);
    }
  }
  return out;
}

/** Values a hostile sender puts where something else belongs. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, -0, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 64, 1e21, MAX_DURATION_MS + 1, '', '0', 'NaN', 'Infinity', [], {}, [[[[[]]]]]),
  fc.double(),
  fc.integer(),
  text(300),
  fc.nat({ max: 100_000 }).map((n) => 'y'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.constant(1), { maxLength: 50 }),
);

/** Bytes of a valid sketch, damaged: flipped, cut, stretched or with a huge varint spliced in. */
export const hostileSketch: fc.Arbitrary<string> = fc.record({
  values: fc.array(duration, { minLength: 1, maxLength: 20 }),
  damage: fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 10 }) }),
    fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  ),
}).map(({ values, damage }) => {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  let bytes = sketch.toBytes();
  switch (damage.kind) {
    case 'flip': {
      bytes = bytes.slice();
      bytes[damage.at % bytes.length]! ^= damage.bits;
      break;
    }
    case 'cut': bytes = bytes.slice(0, damage.at % bytes.length); break;
    case 'insert': {
      const at = damage.at % (bytes.length + 1);
      bytes = new Uint8Array([...bytes.slice(0, at), ...damage.bytes, ...bytes.slice(at)]);
      break;
    }
    case 'random': bytes = Uint8Array.from([1, ...damage.bytes]); break;
  }
  return btoa(String.fromCharCode(...bytes));
});

export interface Mutation {
  batch: unknown;
  /** The field that was changed, as the validator names fields ('' for the batch itself). */
  path: string;
  what: string;
}

/** A valid batch with one field replaced, removed or added, or one cell's sketch damaged. */
export function mutatedBatch(now: number): fc.Arbitrary<Mutation> {
  return arbitraryBatch(now).chain((batch) => {
    const paths = pathsOf(batch);
    const sketchPaths = paths.filter((p) => p[p.length - 1] === 'sketch');
    const options: Array<fc.Arbitrary<Mutation>> = [
      fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, value]) => ({ batch: setAt(batch, path, value), path: formatPath(path), what: `set to ${preview(value)}` })),
      fc.constantFrom(...paths.filter((p) => typeof p[p.length - 1] === 'string')).map((path) => ({ batch: setAt(batch, path, undefined), path: formatPath(path), what: 'removed' })),
      fc.tuple(fc.constantFrom<Array<string | number>>([], ...paths.filter((p) => typeof p[p.length - 1] === 'number')), fc.string({ minLength: 1, maxLength: 10 }))
        .filter(([path, key]) => !Object.hasOwn(getAt(batch, path) as object, key))
        .map(([path, key]) => ({ batch: setAt(batch, [...path, key], 1), path: formatPath([...path, key]), what: 'unknown field added' })),
    ];
    if (sketchPaths.length > 0) {
      options.push(fc.tuple(fc.constantFrom(...sketchPaths), hostileSketch).map(([path, sketch]) => ({ batch: setAt(batch, path, sketch), path: formatPath(path), what: `sketch damaged: ${sketch.slice(0, 80)}` })));
    }
    return fc.oneof(...options);
  });
}

function preview(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 60)}… (${json.length} chars)` : json;
}

function getAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root as Record<string | number, unknown>;
  for (const key of path) node = node[key] as Record<string | number, unknown>;
  return node;
}

/** A deep copy of `root` with the value at `path` replaced (removed when `value` is undefined). */
function setAt(root: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return copy;
}

/**
 * Whether a problem the validator named belongs to the mutated field: the same record (the same
 * `rollups[2]`, `identity`, …), since a changed count is reported on the sketch that no longer
 * matches it, a changed time on the window it left, and so on.
 */
export function namesMutatedField(problemPath: string, mutatedPath: string): boolean {
  const head = (path: string) => /^[^.[]*(\[\d+\])?/.exec(path)![0];
  const inside = problemPath.startsWith(`${mutatedPath}.`) || problemPath.startsWith(`${mutatedPath}[`);
  return problemPath === mutatedPath || inside || head(problemPath) === head(mutatedPath);
}
