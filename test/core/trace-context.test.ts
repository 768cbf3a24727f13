import { describe, expect, test } from 'bun:test';
import { formatTraceparent, formatTracestate, newSpanId, newTraceId, parseTraceparent, parseTracestate } from '../../src/core/trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  test('the W3C example, sampled and not', () => {
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: false });
  });

  test('a future version with extra fields is read for the parts we know', () => {
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-09-what-the-future-holds`)).toEqual({ traceId: TRACE, parentId: PARENT, sampled: true });
  });

  const malformed: Array<[string, string | null | undefined]> = [
    ['absent', undefined],
    ['empty', ''],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['version 00 with extra field', `00-${TRACE}-${PARENT}-01-extra`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-zz`],
    ['wrong separators', `00_${TRACE}_${PARENT}_01`],
    ['one-digit version', `0-${TRACE}-${PARENT}-01`],
    ['garbage', '<script>alert(1)</script>'],
  ];
  for (const [name, header] of malformed) {
    test(`ignored: ${name}`, () => expect(parseTraceparent(header)).toBeNull());
  }
});

describe('tracestate', () => {
  test('parses members in order and formats them back', () => {
    const members = parseTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,tenant@vendor=x');
    expect(members).toEqual([['rojo', '00f067aa0ba902b7'], ['congo', 't61rcWkgMzE'], ['tenant@vendor', 'x']]);
    expect(formatTracestate(members)).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=x');
  });

  test('a malformed or duplicated member drops the whole header', () => {
    expect(parseTracestate('rojo=1,rojo=2')).toEqual([]);
    expect(parseTracestate('Rojo=1')).toEqual([]);
    expect(parseTracestate('rojo')).toEqual([]);
    expect(parseTracestate('rojo=a,b')).toEqual([]);
    expect(parseTracestate('rojo=has=equals')).toEqual([]);
  });

  test('keeps at most 32 members', () => {
    const header = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`).join(',');
    expect(parseTracestate(header)).toHaveLength(32);
  });
});

describe('ids', () => {
  test('trace ids are 32 hex, span ids 16 hex, never all zero, and unique', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      traces.add(t);
      spans.add(s);
    }
    expect(traces.size).toBe(10_000);
    expect(spans.size).toBe(10_000);
  });

  test('formatted traceparent parses back', () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    expect(parseTraceparent(formatTraceparent(traceId, spanId, true))).toEqual({ traceId, parentId: spanId, sampled: true });
  });
});

describe('ids', () => {
  const ids = (make: () => string, n: number) => Array.from({ length: n }, make);

  test.each([
    ['with Uint8Array.prototype.toHex (Bun)', false],
    ['without it (a runtime that lacks it)', true],
  ])('%s: lowercase hex of the right length, never all zero, all distinct', (_, withoutToHex) => {
    const proto = Uint8Array.prototype as { toHex?: unknown };
    const toHex = proto.toHex;
    if (withoutToHex) delete proto.toHex;
    try {
      const traces = ids(newTraceId, 2_000);
      const spans = ids(newSpanId, 2_000);
      for (const id of traces) expect(id).toMatch(/^(?!0+$)[0-9a-f]{32}$/);
      for (const id of spans) expect(id).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
      expect(new Set(traces).size).toBe(traces.length);
      expect(new Set(spans).size).toBe(spans.length);
    } finally {
      proto.toHex = toHex;
    }
  });
});
