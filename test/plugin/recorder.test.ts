// The recorder on its own: one count per request even when two instrumentations see it, routes
// named by the best source available, trace decisions, and headers that never break a response.
import { describe, expect, test } from 'bun:test';
import { OVERFLOW_ROUTE } from '../../src/core/route-normaliser.ts';
import { pathOf } from '../../src/core/request-key.ts';
import { stateOf } from '../../src/plugin/runtime/request-state.ts';
import { testRecorder } from './support/recorder.ts';
import { randomSegmentOf, randomSuffix } from '../support/random-paths.ts';
import { seededRandom } from '../support/random.ts';

const request = (path: string, headers?: Record<string, string>, method = 'GET') => new Request(`http://app.test${path}`, { headers, method });
const keys = (cells: Array<{ method: string; route: string; statusClass: string; count: number }>) =>
  Object.fromEntries(cells.map((c) => [`${c.method} ${c.route} ${c.statusClass}`, c.count]));

describe('Recorder', () => {
  test('an upgrade waiting for its route is counted at exit when the signal comes before the callbacks queued with it (a clone run lost 1 of 5)', async () => {
    const { recorder } = testRecorder();
    const upgrade = request('/live/1', { upgrade: 'websocket' });
    recorder.begin(upgrade);
    recorder.upgraded(upgrade);
    recorder.settleFailures(); // what the exit does before its last cut
    expect(keys(recorder.drain().rollups)).toEqual({ 'GET /live/:id 1xx': 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.drain().rollups).toEqual([]); // counted once
  });

  test('a request begun twice (preload and middleware) is recorded once', () => {
    const { recorder } = testRecorder();
    const req = request('/users/7');
    const outer = recorder.begin(req, '/users/:id');
    expect(recorder.begin(req)).toBeUndefined();
    expect(stateOf(req)).toBe(outer!);
    recorder.respond(outer!, new Response('ok'));
    recorder.respond(outer!, new Response('again')); // a second end changes nothing
    expect(keys(recorder.drain().rollups)).toEqual({ 'GET /users/:id 2xx': 1 });
    expect(recorder.inFlight).toBe(0);
  });

  test('route: router template over Bun.serve route over the normaliser; capped into `other`', () => {
    const { recorder } = testRecorder({ routeCap: 3 });
    const a = recorder.begin(request('/api/users/1'), '/api/*')!;
    a.routerRoute = '/api/users/:id';
    recorder.respond(a, new Response());
    recorder.respond(recorder.begin(request('/api/x'), '/api/*')!, new Response());
    recorder.respond(recorder.begin(request('/orders/123?x=1'))!, new Response());
    recorder.respond(recorder.begin(request('/fresh/route'))!, new Response());
    recorder.respond(recorder.begin(request('/another/route'))!, new Response());
    recorder.respond(recorder.begin(request('/one/too/many'))!, new Response());
    // Templates and paths named from URLs have a cap each: three paths, then the overflow.
    expect(keys(recorder.drain().rollups)).toEqual({
      'GET /api/users/:id 2xx': 1,
      'GET /api/* 2xx': 1,
      'GET /orders/:id 2xx': 1,
      'GET /fresh/route 2xx': 1,
      'GET /another/route 2xx': 1,
      [`GET ${OVERFLOW_ROUTE} 2xx`]: 1,
    });
  });

  test('runs of one URL or one template, interleaved and past the route cap: each request under its own route, with its own path', () => {
    // The recorder keeps the last URL's and the last template's route: a run must never carry a route over to a request that names another.
    const { recorder } = testRecorder({ routeCap: 2 });
    const sent: Array<[string, string | undefined]> = [
      ['/orders/1', undefined], ['/orders/1', undefined], ['/orders/1?page=2', undefined], ['/health', undefined],
      ['/users/5', '/users/:id'], ['/users/6', '/users/:id'], ['/orders/1', undefined], ['/fresh/one', undefined],
      ['/fresh/one', undefined], ['/x', '/x'], ['/x', '/x'], ['/health', undefined],
    ];
    for (const [path, template] of sent) recorder.respond(recorder.begin(request(path), template)!, new Response());
    const { rollups, samples } = recorder.drain();
    expect(keys(rollups)).toEqual({
      'GET /orders/:id 2xx': 4,
      'GET /health 2xx': 2,
      'GET /users/:id 2xx': 2,
      'GET /x 2xx': 2,
      // The first two paths take the cap of 2 paths named at their first request: /fresh/one's first is
      // the overflow, its second its own name (a path that comes again has a place of its own).
      'GET /fresh/one 2xx': 1,
      [`GET ${OVERFLOW_ROUTE} 2xx`]: 1,
    });
    expect(samples.map((sample) => sample.path)).toEqual(sent.map(([path]) => new URL(path, 'http://app.test').pathname));
  });

  test('unsampled, with an observer: each finished request carries its own route and path through a run of one URL', () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    const finished: string[] = [];
    recorder.observe(({ route, path }) => finished.push(`${route} ${path}`));
    for (const path of ['/a/1', '/a/1', '/b', '/a/1?x=1', '/a/2', '/b']) recorder.respond(recorder.begin(request(path))!, new Response());
    expect(finished).toEqual(['/a/:id /a/1', '/a/:id /a/1', '/b /b', '/a/:id /a/1', '/a/:id /a/2', '/b /b']);
    expect(recorder.drain().samples).toEqual([]);
  });

  test('a new id every request between hot paths, past the path cache many times over: every request counted under its route', () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    for (let i = 0; i < 3_000; i++) {
      recorder.respond(recorder.begin(request(`/users/${1_000 + i}`))!, new Response());
      recorder.respond(recorder.begin(request(i % 2 === 0 ? '/health' : '/api/items'))!, new Response());
    }
    expect(keys(recorder.drain().rollups)).toEqual({ 'GET /users/:id 2xx': 3_000, 'GET /health 2xx': 1_500, 'GET /api/items 2xx': 1_500 });
  });

  test('a thrown handler is a 500 with its error class; an unknown method is OTHER', () => {
    const { recorder } = testRecorder();
    class PaymentDeclined extends Error {}
    const state = recorder.begin(request('/pay', {}, 'PROPFIND'))!;
    const error = new PaymentDeclined('no');
    recorder.fail(state, error);
    const { rollups, samples } = recorder.drain();
    expect(rollups[0]).toMatchObject({ method: 'OTHER', route: '/pay', statusClass: '5xx', count: 1, errors: 1 });
    expect(samples[0]).toMatchObject({ statusCode: 500, error: 'PaymentDeclined' });
  });

  test('detail records read memory and CPU from the latest profile', () => {
    const { recorder } = testRecorder();
    recorder.latestProfile = { timestamp: Date.now(), rss: 123, heapUsed: 45, heapTotal: 67, cpuPercent: 8.5, eventLoopLagMs: 0, inFlight: 0 };
    const state = recorder.begin(request('/users/5', { 'user-agent': 'curl/8.5.0' }))!;
    recorder.respond(state, new Response('x', { headers: { 'content-length': '1' } }));
    expect(recorder.drain().samples[0]).toMatchObject({
      path: '/users/5',
      route: '/users/:id',
      userAgent: 'curl/8.5.0',
      memoryUsage: { rss: 123, heapUsed: 45, heapTotal: 67 },
      cpuUsage: 8.5,
    });
  });

  test('sampleRate 0 keeps no detail records but counts every request', () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    for (let i = 0; i < 50; i++) recorder.respond(recorder.begin(request(`/items/${i}`))!, new Response());
    const { rollups, samples } = recorder.drain();
    expect(samples).toEqual([]);
    expect(rollups.reduce((n, c) => n + c.count, 0)).toBe(50);
  });

  test('trace decisions: a sampled traceparent is followed, an unsampled one is passed on, a malformed one ignored', () => {
    const { recorder, spans } = testRecorder({ traceSampleRate: 0 });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const sampled = recorder.begin(request('/a', { traceparent: `00-${traceId}-b7ad6b7169203331-01`, tracestate: 'vendor=x' }))!;
    expect(sampled).toMatchObject({ traced: true, traceId, parentSpanId: 'b7ad6b7169203331', tracestate: 'vendor=x' });
    const response = recorder.respond(sampled, new Response());
    expect(response.headers.get('traceparent')).toBe(`00-${traceId}-${sampled.spanId}-01`);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ traceId, parentSpanId: 'b7ad6b7169203331', kind: 'server', name: 'GET /a' });

    const unsampled = recorder.begin(request('/b', { traceparent: `00-${traceId}-b7ad6b7169203331-00` }))!;
    expect(unsampled.traced).toBe(false);
    expect(recorder.respond(unsampled, new Response()).headers.get('traceparent')).toBe(`00-${traceId}-${unsampled.spanId}-00`);
    expect(spans).toHaveLength(1);

    const malformed = recorder.begin(request('/c', { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` }))!;
    expect(malformed.traceId).toBeUndefined();
    expect(recorder.respond(malformed, new Response()).headers.get('traceparent')).toBeNull();
  });

  test('a traceparent the app set on its Response is kept; a Response returned again gets each request\'s own', () => {
    const { recorder } = testRecorder({ traceSampleRate: 1 });
    const app = '00-11111111111111111111111111111111-2222222222222222-01';
    const own = recorder.respond(recorder.begin(request('/proxy'))!, new Response('', { headers: { traceparent: app } }));
    expect(own.headers.get('traceparent')).toBe(app);
    const shared = new Response(null, { status: 204 });
    const first = recorder.begin(request('/shared'))!;
    recorder.respond(first, shared);
    expect(shared.headers.get('traceparent')).toBe(`00-${first.traceId}-${first.spanId}-01`);
    const second = recorder.begin(request('/shared'))!;
    recorder.respond(second, shared);
    expect(shared.headers.get('traceparent')).toBe(`00-${second.traceId}-${second.spanId}-01`);
  });

  test('serverTiming `off` adds no header to any response: neither Server-Timing nor the traceparent of a traced or continued request (found by a review)', () => {
    for (const [serverTiming, added] of [['traced', true], ['off', false]] as const) {
      const { recorder } = testRecorder({ serverTiming, traceSampleRate: 1 });
      const traced = recorder.respond(recorder.begin(request('/traced'))!, new Response('ok'));
      const continued = recorder.respond(recorder.begin(request('/continued', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }))!, new Response('ok'));
      for (const response of [traced, continued]) {
        expect([serverTiming, response.headers.has('traceparent'), response.headers.has('server-timing')]).toEqual([serverTiming, added, added]);
      }
    }
  });

  test('a Response the app returns again and again carries one Server-Timing total, after its own entry, not one more each time', () => {
    const { recorder } = testRecorder({ serverTiming: 'all' });
    const shared = new Response(null, { status: 204, headers: { 'server-timing': 'cache;desc=hit' } });
    for (let i = 0; i < 1_000; i++) recorder.respond(recorder.begin(request('/shared'))!, shared);
    expect(shared.headers.get('server-timing')).toMatch(/^cache;desc=hit, total;dur=[\d.]+$/);
  });

  test('Server-Timing is appended to the app’s own entries; immutable headers are left alone, not thrown at', () => {
    const { recorder } = testRecorder({ serverTiming: 'all' });
    const own = recorder.respond(recorder.begin(request('/t'))!, new Response('', { headers: { 'server-timing': 'db;dur=3' } }));
    expect(own.headers.get('server-timing')).toMatch(/^db;dur=3, total;dur=\d/);
    // Bun doesn't enforce the Fetch spec's immutable guard, so build a response whose headers refuse writes.
    class FrozenHeaders extends Response {
      override get headers(): Headers {
        const headers = new Headers(super.headers);
        headers.set = headers.append = () => {
          throw new TypeError('immutable');
        };
        return headers;
      }
    }
    expect(() => recorder.respond(recorder.begin(request('/e'))!, new FrozenHeaders('x'))).not.toThrow();
    expect(recorder.headerFailures).toBe(1);
    expect(keys(recorder.drain().rollups)).toEqual({ 'GET /t 2xx': 1, 'GET /e 2xx': 1 });
  });

  test('serverTiming: `traced` (default) and `off` leave an untraced response’s headers untouched', () => {
    for (const serverTiming of ['traced', 'off'] as const) {
      const { recorder } = testRecorder({ serverTiming });
      expect([...recorder.respond(recorder.begin(request('/q'))!, new Response()).headers.keys()]).toEqual([]);
    }
  });

  test('response bytes: known for static routes; the response itself is never read for them', () => {
    const { recorder } = testRecorder();
    const state = recorder.begin(request('/s'))!;
    state.bytes = 42;
    recorder.respond(state, new Response('x'.repeat(42)));
    recorder.respond(recorder.begin(request('/d'))!, new Response('abc', { headers: { 'content-length': '3' } }));
    const { rollups, samples } = recorder.drain();
    expect(rollups.map((c) => c.bytes)).toEqual([42, 0]);
    expect(samples.map((s) => s.responseSize)).toEqual([42, undefined]);
  });

  test('a WebSocket upgrade (no Response) is a 101, anything else without a Response a 500', () => {
    const { recorder } = testRecorder();
    recorder.respond(recorder.begin(request('/ws', { upgrade: 'websocket' }))!, undefined);
    recorder.respond(recorder.begin(request('/none'))!, undefined);
    expect(keys(recorder.drain().rollups)).toEqual({ 'GET /ws 1xx': 1, 'GET /none 5xx': 1 });
  });

  test('the sample buffer stops at one batch worth and asks for a detail cut once (the cells are not full)', () => {
    let detailFull = 0;
    let full = 0;
    const { recorder } = testRecorder({ onDetailFull: () => detailFull++, onFull: () => full++ });
    for (let i = 0; i < 5_010; i++) recorder.respond(recorder.begin(request('/x'))!, new Response());
    expect(detailFull).toBe(1);
    expect(full).toBe(0);
    const drained = recorder.drain();
    expect(drained.samples).toHaveLength(5_000);
    expect(drained.droppedSamples).toBe(10);
    // Summed over cells: a run that crosses a 10-second window's end counts into two.
    expect(drained.rollups.reduce((sum, cell) => sum + cell.count, 0)).toBe(5_010);
  });

  test('pathOf reads the path without parsing a URL', () => {
    expect(pathOf('http://h:1/a/b?c=1#d')).toBe('/a/b');
    expect(pathOf('https://h')).toBe('/');
    expect(pathOf('http://h/#x')).toBe('/');
    expect([pathOf('http://h?q=/x'), pathOf('http://h#/x'), pathOf('http://h:1?q=/x/y')]).toEqual(['/', '/', '/']); // a query or fragment with no path before it
    const random = seededRandom(31);
    const segment = randomSegmentOf(random);
    for (let i = 0; i < 2_000; i++) {
      const path = `/${Array.from({ length: Math.floor(random() * 6) }, segment).join('/')}`;
      const url = `${random() < 0.5 ? 'http' : 'https'}://127.0.0.1:${1 + Math.floor(random() * 65535)}${path}${randomSuffix(random)}`;
      if (pathOf(url) !== path) expect({ url, path: pathOf(url) }).toEqual({ url, path });
    }
  });
});
