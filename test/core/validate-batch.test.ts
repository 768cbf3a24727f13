import { describe, expect, test } from 'bun:test';
import { formatProblem, validateBatch } from '../../src/core/validate-batch.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { LIMITS, METHOD_KEYS } from '../../src/core/wire-format.ts';
import { methodKey } from '../../src/core/request-key.ts';
import { makeBatch } from '../support/batch.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

/** A deep copy of a valid batch with one thing broken by `breakIt`. */
function broken(breakIt: (b: any) => unknown): unknown {
  const batch: any = structuredClone(makeBatch(NOW));
  breakIt(batch);
  return batch;
}

// Each case: what is broken, the change, and the field path and words the message must hold.
const CASES: Array<[string, (b: any) => unknown, string, RegExp]> = [
  ['unknown version', (b) => (b.version = 2), 'version', /expected 1/],
  ['missing batch id', (b) => delete b.batchId, 'batchId', /missing/],
  ['batch id too short', (b) => (b.batchId = 'abc'), 'batchId', /16\.\.64/],
  ['batch id with spaces', (b) => (b.batchId = 'a batch id with spaces!'), 'batchId', /A-Za-z0-9/],
  ['identity not an object', (b) => (b.identity = 'shop'), 'identity', /object/],
  ['empty app name', (b) => (b.identity.app = ''), 'identity.app', /1\.\.128/],
  ['unknown identity field', (b) => (b.identity.secret = 'x'), 'identity.secret', /known fields/],
  ['window end as string', (b) => (b.window.end = '2026-11-26'), 'window.end', /ms since the epoch/],
  ['window backwards', (b) => (b.window.start = b.window.end + 1), 'window.start', /start ≤ end/],
  ['cell 30 seconds wide', (b) => (b.rollups[0].seconds = 30), 'rollups[0].seconds', /10 or 60/],
  ['10-second cell off its 10 seconds', (b) => ((b.rollups[0].seconds = 10), (b.rollups[0].minute += 5_000)), 'rollups[0].minute', /start of its 10 seconds/],
  ['pid negative', (b) => (b.identity.pid = -1), 'identity.pid', /integer/],
  ['timestamp from 1970', (b) => (b.samples[0].timestamp = 5), 'samples[0].timestamp', /2020\.\.2100/],
  ['status 42', (b) => (b.samples[0].statusCode = 42), 'samples[0].statusCode', /expected integer 100\.\.599/],
  ['status as float', (b) => (b.samples[0].statusCode = 200.5), 'samples[0].statusCode', /integer/],
  ['NaN duration', (b) => (b.samples[0].duration = NaN), 'samples[0].duration', /finite number/],
  ['Infinity duration', (b) => (b.spans[0].duration = Infinity), 'spans[0].duration', /finite number/],
  ['negative duration', (b) => (b.samples[0].duration = -3), 'samples[0].duration', /≥ 0/],
  ['10,000-char route', (b) => (b.rollups[0].route = '/x'.repeat(5_000)), 'rollups[0].route', /1\.\.256/],
  ['lowercase method', (b) => (b.rollups[1].method = 'get'), 'rollups[1].method', /expected one of GET, HEAD, POST/],
  // A client counts any other method as OTHER: one made-up method per cell had passed the route cap.
  ['a method other than the standard ones', (b) => (b.samples[0].method = 'PROPFIND'), 'samples[0].method', /any other method is sent as OTHER/],
  ['unknown status class', (b) => (b.rollups[0].statusClass = '6xx'), 'rollups[0].statusClass', /1xx/],
  ['zero count', (b) => (b.rollups[0].count = 0), 'rollups[0].count', /integer 1\.\./],
  ['errors above count', (b) => (b.rollups[0].errors = 99), 'rollups[0].errors', /errors ≤ count/],
  ['minute not on a minute', (b) => (b.rollups[0].minute += 1), 'rollups[0].minute', /start of a minute/],
  ['sketch not base64', (b) => (b.rollups[0].sketch = '%%%'), 'rollups[0].sketch', /base64 quantile sketch/],
  ['sketch of another count', (b) => (b.rollups[0].sketch = new QuantileSketch().toBase64()), 'rollups[0].sketch', /count/],
  ['too many cells', (b) => (b.rollups = Array.from({ length: 5_001 }, () => b.rollups[0])), 'rollups', /at most 5000/],
  ['samples not an array', (b) => (b.samples = { 0: b.samples[0] }), 'samples', /array/],
  ['trace id too short', (b) => (b.spans[0].traceId = 'abc'), 'spans[0].traceId', /32 lowercase hex/],
  ['all-zero span id', (b) => (b.spans[0].spanId = '0'.repeat(16)), 'spans[0].spanId', /not all zero/],
  ['unknown span kind', (b) => (b.spans[0].kind = 'producer'), 'spans[0].kind', /server, client, internal/],
  ['nested tag value', (b) => (b.spans[0].tags.nested = { deeper: { x: 1 } }), 'spans[0].tags.nested', /finite number or boolean/],
  ['too many tags', (b) => { for (let i = 0; i < 65; i++) b.spans[0].tags[`k${i}`] = i; }, 'spans[0].tags', /at most 64/],
  ['extra nesting in a sample', (b) => (b.samples[0].memoryUsage.extra = { a: 1 }), 'samples[0].memoryUsage.extra', /known fields/],
  ['negative profile rss', (b) => (b.profiles[0].rss = -1), 'profiles[0].rss', /integer 0\.\./],
  ['dropped counter missing', (b) => delete b.dropped.spans, 'dropped.spans', /missing/],
  ['log message not a string', (b) => (b.spans[1].logs[0].message = 42), 'spans[1].logs[0].message', /string/],
  ['dropped counters as strings', (b) => (b.dropped.samples = '3'), 'dropped.samples', /integer/],
  // Physical bounds (value-bounds.ts): what could make a merged sum Infinity is refused at the door.
  ['a cell duration of 1e308', (b) => (b.rollups[0].durationMax = 1e308), 'rollups[0].durationMax', /≤ 2592000000/],
  ['a sample lasting 31 days', (b) => (b.samples[0].duration = 31 * 86_400_000), 'samples[0].duration', /at most 30 days/],
  ['a span lasting 1e300 ms', (b) => (b.spans[0].duration = 1e300), 'spans[0].duration', /≤ 2592000000/],
  ['an event-loop lag of 1e308 ms', (b) => (b.profiles[0].eventLoopLagMs = 1e308), 'profiles[0].eventLoopLagMs', /≤ 2592000000/],
  ['a cell counting 2^41 requests', (b) => (b.rollups[0].count = 2 ** 41), 'rollups[0].count', /integer 1\.\.1099511627776/],
  ['a duration sum above count × max', (b) => (b.rollups[0].durationSum = b.rollups[0].count * b.rollups[0].durationMax * 2), 'rollups[0].durationSum', /durationSum ≤ count × durationMax/],
  ['a sketch of values above durationMax', (b) => (b.rollups[0].durationMax = b.rollups[0].durationMin), 'rollups[0].sketch', /values ≤ durationMax/],
  ['a sketch with a bucket 30,000,000 indices away (issue 13)', (b) => {
    b.rollups[0].count = 2;
    b.rollups[0].sketch = 'AQIAAAAAAAAAAEAAAAAAAADwPwAAAAAAAPA/AgABgI7OHAE=';
  }, 'rollups[0].sketch', /bucket index 30000000 outside -690\.\.1382/],
];

describe('validateBatch', () => {
  test('a valid batch passes unchanged', () => {
    const batch = makeBatch(NOW);
    const copy = structuredClone(batch);
    const result = validateBatch(batch, { now: NOW });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.batch).toEqual(copy);
    expect(batch).toEqual(copy);
  });

  for (const [name, breakIt, path, message] of CASES) {
    test(`rejects: ${name}`, () => {
      const result = validateBatch(broken(breakIt), { now: NOW });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const hit = result.problems.find((p) => p.path === path);
      expect(hit, `problems were: ${result.problems.map(formatProblem).join('; ')}`).toBeDefined();
      expect(hit!.message).toMatch(message);
    });
  }

  test('a span is at most LIMITS.spanLength characters of JSON: its logs can pass it, its tags and fields at their limits cannot', () => {
    const escaped = '"\u0001'.repeat(512); // 1,024 characters, 4,096 in JSON
    const tags = Object.fromEntries(Array.from({ length: LIMITS.tagsPerSpan }, (_, i) => [`${i}`.padEnd(LIMITS.tagKeyLength, '\u0002'), escaped]));
    const span = { ...makeBatch(NOW).spans[0]!, tags, error: escaped };
    const log = (fields: number) => ({ timestamp: NOW, level: 'info', message: 'm'.repeat(LIMITS.logMessageLength), fields: Object.fromEntries(Array.from({ length: fields }, (_, i) => [`${i}`, escaped])) });
    const atTags = validateBatch({ ...makeBatch(NOW), spans: [span] }, { now: NOW });
    expect(atTags.ok).toBe(true);
    // 64 logs of 32 fields: ≈ 8.5 million characters of JSON; 3 logs of 8 fields: the limit's side.
    for (const [logs, ok] of [[Array.from({ length: LIMITS.logsPerSpan }, () => log(LIMITS.fieldsPerLog)), false], [[log(8), log(8), log(8)], true]] as const) {
      const withLogs = { ...span, logs };
      expect(JSON.stringify(withLogs).length > LIMITS.spanLength).toBe(!ok);
      const result = validateBatch({ ...makeBatch(NOW), spans: [withLogs] }, { now: NOW });
      expect(result.ok ? [] : result.problems).toEqual(ok ? [] : [{ path: 'spans[0]', message: `expected a span of at most ${LIMITS.spanLength} characters of JSON (its logs make it longer)` }]);
    }
  });

  test('10-second cells and a pid are accepted (and minute cells without either, as older clients send)', () => {
    const batch: any = structuredClone(makeBatch(NOW));
    batch.identity.pid = 4242;
    batch.rollups[0].seconds = 10;
    batch.rollups[0].minute += 20_000;
    batch.rollups[1].seconds = 60;
    expect(validateBatch(batch, { now: NOW })).toEqual({ ok: true, batch });
  });

  test('null, a string, a number and an array are rejected as a whole', () => {
    for (const input of [null, 'batch', 42, undefined, [makeBatch(NOW)]]) {
      const result = validateBatch(input);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problems[0]!.path).toBe('');
        expect(result.problems[0]!.message).toMatch(/^expected (a batch )?object/);
      }
    }
  });

  test('every problem is reported, not just the first', () => {
    const result = validateBatch(broken((b) => {
      b.samples[0].statusCode = 42;
      b.spans[0].kind = 'nope';
      b.identity.app = '';
    }), { now: NOW });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map((p) => p.path).sort()).toEqual(['identity.app', 'samples[0].statusCode', 'spans[0].kind']);
      expect(formatProblem(result.problems.find((p) => p.path === 'samples[0].statusCode')!)).toBe('samples[0].statusCode: expected integer 100..599');
    }
  });

  test('clock checks: a batch from next year or last month is refused when `now` is given', () => {
    const future = validateBatch(makeBatch(NOW + 365 * 86_400_000), { now: NOW });
    expect(future.ok).toBe(false);
    if (!future.ok) expect(formatProblem(future.problems[0]!)).toMatch(/^window\.start: in the future/);
    const old = validateBatch(makeBatch(NOW - 30 * 86_400_000), { now: NOW });
    expect(old.ok).toBe(false);
    if (!old.ok) expect(old.problems[0]!.message).toMatch(/too old/);
  });

  test('a hostile batch with 100,000 bad items gets a bounded problem list', () => {
    const result = validateBatch(broken((b) => (b.samples = Array.from({ length: 5_000 }, () => ({ statusCode: 'x' })))), { maxProblems: 20 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.length).toBe(20);
  });
});

test('every method a client names its cells by is one the edge accepts, and no other', () => {
  const named = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'PROPFIND', 'get', 'QWERTYUIOPASDFGH', ''].map(methodKey));
  expect([...named].sort()).toEqual([...METHOD_KEYS].sort());
  for (const method of METHOD_KEYS) {
    const result = validateBatch({ ...makeBatch(), samples: [{ ...makeBatch().samples[0]!, method }] });
    expect(result.ok, method).toBe(true);
  }
});
