// Whatever an app gives its tracer (tag keys and values, log fields, errors) and whatever a caller
// puts in a query string, the spans pass the edge's own check: one it refused would cost the whole
// batch. Property-tested, since a fixed list had missed keys the edge makes one (controls, lone
// surrogates), found only when CI drew them in the batch generator.
import { afterAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { requestTracer } from '../../src/middleware/index.ts';
import { fuzzParams, fuzzTimeout } from '../fuzz/fuzz-params.ts';
import { makeBatch } from '../support/batch.ts';
import { Router } from './spec-examples/mini-router.ts';

const tracer = requestTracer({ sampleRate: 1, includeQueryParams: true, maxRecentSpans: 100 });
afterAll(() => tracer.close());

/** Text of any code units: controls, lone surrogates, bidirectional and zero-width characters. */
const anyText = fc.oneof(
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.string({ maxLength: 12, unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) }),
  fc.constantFrom('\u0000', '\u0001', '\ud800', '\udc00', '\u200b', '\u202e', '__proto__', 'constructor', 'password', 'x'.repeat(200)),
);
const anyValue = fc.oneof(anyText, fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt(), fc.object({ maxDepth: 2 }));
/** A query string of raw bytes, percent-encoded: a caller may send any, valid UTF-8 or not. */
const anyQuery = fc.array(fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 })), { maxLength: 8 })
  .map((pairs) => pairs.map(([name, value]) => `${percent(name)}=${percent(value)}`).join('&'));
const percent = (bytes: Uint8Array) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

test('any tags, log fields, errors and query names: the spans pass the edge\'s check', async () => {
  const calls = fc.record({
    tags: fc.array(fc.tuple(anyText, anyValue), { maxLength: 70 }),
    fields: fc.array(fc.tuple(anyText, anyValue), { maxLength: 40 }),
    level: anyText,
    message: anyText,
    error: fc.option(anyText, { nil: undefined }),
    query: anyQuery,
  });
  await fc.assert(fc.asyncProperty(calls, async ({ tags, fields, level, message, error, query }) => {
    let child = '';
    const router = new Router().use(tracer);
    router.get('/p', (req) => {
      child = tracer.createChildSpan((req as { spanId: string }).spanId, 'work')!;
      for (const [key, value] of tags) tracer.addTag(child, key, value);
      tracer.addLog(child, level, message, Object.fromEntries(fields));
      tracer.finish(child, error === undefined ? 'ok' : 'error', error);
      return new Response('ok');
    });
    await router.fetch(new Request(`http://app.test/p?${query}`));
    const spans = tracer.getRecentSpans().filter((span) => span.spanId === child || (span.kind === 'server' && span.spanId === tracer.getRecentSpans().find((s) => s.spanId === child)?.parentSpanId));
    expect(spans.length).toBe(2);
    const checked = validateBatch(JSON.parse(JSON.stringify({ ...makeBatch(), spans })));
    if (!checked.ok) throw new Error(`refused: ${JSON.stringify(checked.problems.slice(0, 3))}`);
  }), fuzzParams({ runs: 200, seconds: 8 }));
}, fuzzTimeout(8));
