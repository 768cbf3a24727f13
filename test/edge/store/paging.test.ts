// Samples and traces listed page by page with cursors: every record exactly once, in order, across
// chunks, minutes, ties of the sort key and both storage layouts.
import { describe, expect, test } from 'bun:test';
import type { Span } from '../../../src/core/wire-format.ts';
import { decodeCursor } from '../../../src/edge/store/cursor.ts';
import { listSamples, type SampleQuery, type SampleRecord } from '../../../src/edge/store/samples.ts';
import { listTraces, type TraceQuery, type TraceSummary } from '../../../src/edge/store/traces.ts';
import { seededRandom } from '../../support/random.ts';
import { batchOf, HOUR, MIN, requests, sampleOf, store, T0 } from './fixture.ts';

const END = T0 + HOUR;

/** Follows the cursors to the end; the pages' items in order. */
function allPages<T>(list: (after: SampleQuery['after']) => { items: T[]; nextCursor: string | null }): { items: T[]; pages: number } {
  const items: T[] = [];
  let after: SampleQuery['after'];
  for (let pages = 1; pages < 1_000; pages++) {
    const page = list(after);
    items.push(...page.items);
    if (page.nextCursor === null) return { items, pages };
    after = decodeCursor(page.nextCursor)!;
    expect(after).not.toBeNull();
  }
  throw new Error('paging did not end');
}

const sortKey = (s: { timestamp: number; route: string; statusCode: number; duration: number; path: string }) => `${s.timestamp} ${s.route} ${s.statusCode} ${s.duration} ${s.path}`;

describe('paging', () => {
  test('samples: every one exactly once, newest first, with and without filters, both layouts', () => {
    const s = store({ log: false });
    // Timestamps on 100 ms steps over six minutes: many ties.
    const sent = requests(31, 300, T0, 6 * MIN).map((r) => sampleOf({ ...r, time: r.time - (r.time % 100) }));
    for (let i = 0; i < sent.length; i += 25) s.ingest(batchOf([], { samples: sent.slice(i, i + 25), instance: i % 50 ? 'host-b:1' : 'host-a:1', start: T0 }), T0 + 7 * MIN);
    // Some rows of the first layout, at times the chunks hold too.
    const legacy = sent.slice(0, 20).map((x) => ({ ...x, path: '/legacy' }));
    for (const x of legacy) {
      s.sql.exec('INSERT INTO samples (timestamp, instance, method, path, route, status_code, duration) VALUES (?, ?, ?, ?, ?, ?, ?)',
        x.timestamp, 'host-old:1', x.method, x.path, x.route, x.statusCode, x.duration);
    }
    const stored = [...sent, ...legacy];

    const check = (filter: Partial<SampleQuery>, expected: typeof stored, limit: number) => {
      const { items, pages } = allPages((after) => listSamples(s.sql, { from: T0, to: END, limit, ...filter, after }));
      const ids = items.map((x: SampleRecord) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(items.map(sortKey).sort()).toEqual(expected.map(sortKey).sort());
      for (let i = 1; i < items.length; i++) {
        const [a, b] = [items[i - 1]!, items[i]!];
        expect(a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.id > b.id)).toBe(true);
      }
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
    };
    check({}, stored, 7);
    check({}, stored, 50);
    check({ status: [500, 599] }, stored.filter((x) => x.statusCode >= 500), 4);
    check({ route: '/orders', minDuration: 300 }, stored.filter((x) => x.route === '/orders' && x.duration >= 300), 5);
    const from = T0 + 2 * MIN;
    const to = T0 + 4 * MIN;
    check({ from, to }, stored.filter((x) => x.timestamp >= from && x.timestamp < to), 6);
  });

  test('traces: every one exactly once, by recency and by duration, ties included', () => {
    const s = store({ log: false });
    const next = seededRandom(5);
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
    const traces: Array<{ id: string; spans: Span[] }> = [];
    for (let t = 0; t < 80; t++) {
      const id = hex(32);
      // Starts on whole seconds and durations from a few values: ties of both sort keys.
      const start = T0 + Math.floor(next() * 300) * 1_000;
      const root = hex(16);
      const spans: Span[] = [{ traceId: id, spanId: root, name: `GET /r${t % 5}`, kind: 'server', startTime: start, duration: [10, 20, 40][t % 3]!,
        status: t % 7 === 0 ? 'error' : 'ok', tags: { 'http.route': `/r${t % 5}`, 'http.method': 'GET', 'http.status_code': 200 }, logs: [] }];
      for (let c = 0; c < 1 + (t % 3); c++) {
        spans.push({ traceId: id, spanId: hex(16), parentSpanId: root, name: 'db', kind: 'internal', startTime: start + 2 + c, duration: 5 + (t % 4) * 10, status: 'ok', tags: {}, logs: [] });
      }
      traces.push({ id, spans });
    }
    // Batches of about ten traces; the children of every fourth trace come a batch after its root.
    const pending: Span[] = [];
    for (let i = 0; i < traces.length; i += 10) {
      const spans = [...pending.splice(0)];
      for (const [j, trace] of traces.slice(i, i + 10).entries()) {
        if (j % 4 === 0) spans.push(trace.spans[0]!), pending.push(...trace.spans.slice(1));
        else spans.push(...trace.spans);
      }
      s.ingest(batchOf([], { spans, start: T0 }), T0 + 6 * MIN);
    }
    s.ingest(batchOf([], { spans: pending, start: T0 }), T0 + 6 * MIN);

    const expected = new Map(traces.map(({ id, spans }) => {
      const start = Math.min(...spans.map((x) => x.startTime));
      const end = Math.max(...spans.map((x) => x.startTime + x.duration));
      return [id, { startTime: start, duration: end - start, spanCount: spans.length, error: spans.some((x) => x.status === 'error') }];
    }));
    const check = (query: Omit<TraceQuery, 'after'>, ids: string[]) => {
      const keyOf = (t: TraceSummary) => (query.sort === 'slowest' ? t.duration : t.startTime);
      const { items } = allPages((after) => listTraces(s.sql, { ...query, after }) as { items: TraceSummary[]; nextCursor: string | null });
      expect(items.map((t) => t.traceId).sort()).toEqual(ids.sort());
      for (const t of items) expect(t).toMatchObject(expected.get(t.traceId)!);
      for (let i = 1; i < items.length; i++) {
        const [a, b] = [items[i - 1]!, items[i]!];
        expect(keyOf(a) > keyOf(b) || (keyOf(a) === keyOf(b) && a.traceId > b.traceId)).toBe(true);
      }
    };
    const every = [...expected.keys()];
    check({ from: T0, to: END, sort: 'recent', limit: 6 }, every);
    check({ from: T0, to: END, sort: 'slowest', limit: 6 }, every);
    check({ from: T0, to: END, sort: 'recent', limit: 3, errorsOnly: true }, every.filter((id) => expected.get(id)!.error));
    check({ from: T0 + MIN, to: T0 + 3 * MIN, sort: 'slowest', limit: 4 }, every.filter((id) => {
      const t = expected.get(id)!.startTime;
      return t >= T0 + MIN && t < T0 + 3 * MIN;
    }));
  });
});
