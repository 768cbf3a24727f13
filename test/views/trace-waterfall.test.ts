// The waterfall's tree order, on traces shaped as hostile batches can shape them: a chain as deep as
// it is long (10,000 spans, each the parent of the next, overflowed the recursive walk in workerd),
// siblings starting at once, a cycle. And the view itself over such a trace.
import { describe, expect, test } from 'bun:test';
import type { Span } from '../../src/core/wire-format.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { treeOrder } from '../../src/views/index.ts';
import { TraceWaterfall } from '../../src/views/trace-waterfall.tsx';

const TRACE = 'a'.repeat(32);
const id = (n: number) => n.toString(16).padStart(16, '0');
const span = (n: number, parent: number | undefined, startTime: number): Span => ({
  traceId: TRACE, spanId: id(n), ...(parent === undefined ? {} : { parentSpanId: id(parent) }),
  name: `span ${n}`, kind: 'internal', startTime, duration: 1, status: 'ok', tags: {}, logs: [],
});

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };

describe('treeOrder', () => {
  test('a chain of 100,000 spans, given in reverse: each one level under the one before', () => {
    const n = 100_000;
    const spans = Array.from({ length: n }, (_, i) => span(n - 1 - i, n - 1 - i === 0 ? undefined : n - 2 - i, 1_000 + (n - 1 - i)));
    const rows = treeOrder(spans);
    expect(rows).toHaveLength(n);
    rows.forEach((row, i) => {
      if (row.span.spanId !== id(i) || row.depth !== i) throw new Error(`row ${i}: ${row.span.spanId} at depth ${row.depth}`);
    });
  });

  test('parent before children, siblings by start and in the order given when they start at once; a cycle is cut at its earliest span', () => {
    const spans = [
      span(5, 1, 30), span(2, 1, 10), span(3, 2, 11), span(4, 1, 10), span(1, undefined, 0),
      span(7, 8, 50), span(8, 7, 40), // a cycle with no root: its earliest span is drawn as one, the other under it
      span(9, 42, 5), // an orphan: its parent is not in the trace, so it is a root
    ];
    expect(treeOrder(spans).map((r) => [Number.parseInt(r.span.spanId, 16), r.depth])).toEqual([
      [1, 0], [2, 1], [3, 2], [4, 1], [5, 1], [9, 0], [8, 0], [7, 1],
    ]);
  });

  test('spans no root reaches are roots too, among the others in start order, each with what it reaches', () => {
    const spans = [
      span(1, undefined, 10), span(2, 1, 11),
      span(3, 3, 5), // its own parent: a root
      span(4, 5, 20), span(5, 6, 21), span(6, 4, 22), span(7, 6, 23), // a cycle of three, one child hanging off it
      span(8, 9, 1), span(9, 8, 2), // a cycle of two starting before everything else
    ];
    expect(treeOrder(spans).map((r) => [Number.parseInt(r.span.spanId, 16), r.depth])).toEqual([
      [8, 0], [9, 1], [3, 0], [1, 0], [2, 1], [4, 0], [6, 1], [5, 2], [7, 2],
    ]);
  });

  test('duplicate span ids: each span is a row, children once, under the first span of their parent\'s id', () => {
    const spans = [span(1, undefined, 0), span(2, 1, 1), { ...span(2, 1, 2), name: 'again' }, span(3, 2, 3), { ...span(1, 2, 4), name: 'one under two' }];
    const rows = treeOrder(spans);
    expect(rows.map((r) => [r.span.name, r.depth])).toEqual([['span 1', 0], ['span 2', 1], ['span 3', 2], ['one under two', 2], ['again', 1]]);
    expect(new Set(rows.map((r) => r.span)).size).toBe(spans.length);
  });

  test('10,000 spans in one cycle, or sharing two ids each the parent of the other, or each given twice: each drawn once, quickly', () => {
    const n = 10_000;
    const ring = Array.from({ length: n }, (_, i) => span(i, (i + 1) % n, 1_000 + i));
    const same = Array.from({ length: n }, (_, i) => ({ ...span(1, i % 2 === 0 ? 2 : 1, 1_000 + i), spanId: id(1 + (i % 2)) }));
    for (const spans of [ring, same, [...ring, ...ring]]) {
      const started = performance.now();
      const rows = treeOrder(spans);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(rows).toHaveLength(spans.length);
      expect(new Set(rows.map((r) => r.span)).size).toBe(new Set(spans).size);
    }
  });
});

describe('the waterfall draws every span given exactly once, whatever its parent links', () => {
  const traces: Record<string, Span[]> = {
    'A under B under A': [span(1, 2, 10), span(2, 1, 20)],
    'A under B under A, beside a root (4 spans)': [span(1, undefined, 0), span(2, 1, 5), span(3, 4, 10), span(4, 3, 20)],
    'a span its own parent': [span(1, 1, 0)],
    'every span its own parent': [span(1, 1, 0), span(2, 2, 1), span(3, 3, 2), span(4, 4, 3)],
    'parents missing from the trace': [span(1, 99, 0), span(2, 98, 1), span(3, 1, 2)],
    'duplicate span ids, in a cycle': [span(1, 2, 0), span(2, 1, 1), { ...span(1, 2, 2), name: 'second 1' }, { ...span(2, 1, 3), name: 'second 2' }],
    'a cycle of three with a root elsewhere and children of the cycle': [span(9, undefined, 50), span(1, 3, 0), span(2, 1, 1), span(3, 2, 2), span(4, 2, 3), span(5, 4, 4)],
  };
  for (const [shape, spans] of Object.entries(traces)) {
    test(shape, () => {
      const html = String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans }));
      const count = spans.length === 1 ? '1 span' : `${spans.length} spans`;
      expect(html.match(/<p class="meta">[^·<]*/)?.[0]).toBe(`<p class="meta">${count} `);
      const drawn = [...html.matchAll(/<li class="span [^"]*" data-span-id="([0-9a-f]+)">/g)].map((m) => m[1]);
      expect(drawn).toHaveLength(spans.length);
      expect(drawn.toSorted()).toEqual(spans.map((s) => s.spanId).toSorted());
      for (const s of spans) expect(html.split(`<span>${s.name}</span>`).length - 1).toBe(spans.filter((t) => t.name === s.name).length);
    });
  }
});

test('the waterfall renders a chain of 10,000 spans, its time span from the earliest start to the latest end', () => {
  const spans = Array.from({ length: 10_000 }, (_, i) => span(i, i === 0 ? undefined : i - 1, 1_000 + i));
  const html = String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans }));
  // 1,000 + 9,999 + a duration of 1, less the first start: 10,000 ms. (Not toContain: on failure it would print the page.)
  expect(html.match(/<p class="meta">[^<]*<\/p>/)?.[0]).toBe('<p class="meta">10.0 k spans · 10.0 s · started 1970-01-01 00:00:01Z</p>');
  expect(html.split('<li class="span ').length - 1).toBe(10_000);
});

test('a one-span trace lasts as long as its span, at epoch times whose doubles hold ~0.2 µs (it read 33.9 µs above a 34.0 µs span)', () => {
  const mismatched: string[] = [];
  for (let i = 0; i < 200; i++) {
    const startTime = 1_795_694_400_000 + i * 7.013 + 0.000123 * i;
    const duration = 0.034 + i * 0.0001;
    const html = String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans: [{ ...span(1, undefined, startTime), duration }] }));
    const total = /<p class="meta">1 span · ([^·]+) ·/.exec(html)?.[1];
    const own = /<span class="duration">([^<]+)<\/span>/.exec(html)?.[1];
    if (total === undefined || total.trim() !== own) mismatched.push(`${startTime} ${duration}: ${total} vs ${own}`);
  }
  expect(mismatched).toEqual([]);
});
