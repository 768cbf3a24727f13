// Adaptive sampling in the recorder, and the preload's lean entry: every request counted, detail
// and traces within their caps per second, a caller's sampled traceparent within its own cap, and
// no state left on the Request unless the explicit middleware is there to look for it.
import { describe, expect, test } from 'bun:test';
import { instrumentHandler } from './support/served-handler.ts';
import { REQUEST_STATE, stateOf } from '../../src/plugin/runtime/request-state.ts';
import type { Recorder } from '../../src/plugin/runtime/recorder.ts';
import { testRecorder } from './support/recorder.ts';

const request = (path: string, headers?: Record<string, string>) => new Request(`http://app.test${path}`, { headers });
const total = (cells: Array<{ count: number }>) => cells.reduce((n, c) => n + c.count, 0);

describe('adaptive sampling', () => {
  // Both ways a request can end: the recorder's general path (begin, respond) and the wrapper's lean one.
  const ends = {
    'begin and respond': (recorder: Recorder, req: Request) => recorder.respond(recorder.begin(req)!, new Response()),
    'the wrapped handler': (recorder: Recorder, req: Request) => instrumentHandler((_req: Request) => new Response(), recorder)(req),
  };
  for (const [name, end] of Object.entries(ends)) {
    test(`5,000 requests at once (${name}): all counted, detail and traces capped at their bucket`, () => {
      const { recorder, spans } = testRecorder({ sampleRate: undefined, samplesPerSecond: 20, routeFairness: false, traceSampleRate: undefined, tracesPerSecond: 4 });
      const started = performance.now();
      for (let i = 0; i < 5_000; i++) end(recorder, request(`/items/${i}`));
      const seconds = (performance.now() - started) / 1000;
      const { rollups, samples } = recorder.drain();
      expect(total(rollups)).toBe(5_000);
      // a full bucket (one second's worth) at start, then the rate for the time the loop took
      expect(samples.length).toBeGreaterThanOrEqual(20);
      expect(samples.length).toBeLessThanOrEqual(20 + Math.ceil(seconds * 20) + 1);
      expect(spans.length).toBeGreaterThanOrEqual(4);
      expect(spans.length).toBeLessThanOrEqual(4 + Math.ceil(seconds * 4) + 1);
      // each detail record names its own path, under the route the normaliser found
      expect(samples.every((sample) => /^\/items\/\d+$/.test(sample.path) && sample.route === '/items/:id')).toBe(true);
      expect(recorder.sampleBucket!.refused).toBe(5_000 - samples.length);
      expect(recorder.inFlight).toBe(0);
    });
  }

  for (const [name, end] of Object.entries(ends)) {
    test(`a fixed sampleRate keeps its documented meaning (${name}): that share of requests, whatever the rate`, () => {
      let draws = 0;
      const { recorder } = testRecorder({ sampleRate: 0.25, random: () => (draws++ % 4) / 4 }); // 0, .25, .5, .75, …
      for (let i = 0; i < 400; i++) end(recorder, request('/a'));
      expect(recorder.sampleBucket).toBeUndefined();
      expect(recorder.drain().samples.length).toBe(100);
    });
  }

  test("a caller's sampled traceparent is followed within its own cap; past it, passed on unsampled and counted", () => {
    const { recorder, spans, lines } = testRecorder({ traceSampleRate: 0, parentTracesPerSecond: 5 });
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const flags: string[] = [];
    for (let i = 0; i < 50; i++) {
      const state = recorder.begin(request('/p', { traceparent: `00-${traceId}-b7ad6b7169203331-01` }))!;
      flags.push(recorder.respond(state, new Response()).headers.get('traceparent')!.slice(-2));
    }
    const followed = flags.filter((f) => f === '01').length;
    expect(followed).toBeGreaterThanOrEqual(5);
    expect(followed).toBeLessThan(8);
    expect(spans.length).toBe(followed);
    expect(recorder.parentTraceBucket.refused).toBe(50 - followed);
    expect(flags.filter((f) => f === '00').length).toBe(50 - followed);
    expect(lines.filter((line) => line.includes('BUN_APM_PARENT_TRACES_PER_SECOND'))).toHaveLength(1); // said once
  });
});

describe('lean entry', () => {
  test('an untraced request gets no property on the Request; router hooks still find its state', () => {
    const { recorder } = testRecorder({ sampleRate: 0, traceSampleRate: 0 });
    let seen: unknown[] = ['not called'];
    const handler = instrumentHandler((req: Request) => {
      seen = [Object.getOwnPropertySymbols(req).length, stateOf(req) !== undefined];
      stateOf(req)!.routerRoute = '/things/:id';
      return new Response('ok');
    }, recorder);
    const req = request('/things/42');
    handler(req);
    expect(seen).toEqual([0, true]);
    expect(Object.getOwnPropertySymbols(req)).toEqual([]);
    expect(stateOf(req)).toBeUndefined(); // the slot is free again
    expect(recorder.drain().rollups.map((c) => [c.route, c.count])).toEqual([['/things/:id', 1]]);
  });

  test('a handler that goes async keeps a state of its own; the next request reuses the slot without mixing them', async () => {
    const { recorder } = testRecorder({ sampleRate: 0, traceSampleRate: 0 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = instrumentHandler(async (req: Request) => {
      stateOf(req)!.routerRoute = '/slow';
      await gate;
      return new Response('slow', { status: 201 });
    }, recorder);
    const fast = instrumentHandler((_req: Request) => new Response('fast', { status: 404 }), recorder, '/fast');
    const pending = slow(request('/slow/1')) as Promise<Response>;
    fast(request('/fast'));
    release();
    expect((await pending).status).toBe(201);
    const cells = recorder.drain().rollups.map((c) => `${c.route} ${c.statusClass} ${c.count}`).sort();
    expect(cells).toEqual(['/fast 4xx 1', '/slow 2xx 1']);
    expect(recorder.inFlight).toBe(0);
  });

  test('once the middleware asks for the recorder, requests carry their mark', () => {
    const { recorder } = testRecorder({ sampleRate: 0, traceSampleRate: 0 });
    recorder.markRequests();
    let marked = false;
    const handler = instrumentHandler((req: Request) => {
      marked = (req as unknown as Record<symbol, unknown>)[REQUEST_STATE] !== undefined;
      return new Response();
    }, recorder);
    handler(request('/m'));
    expect(marked).toBe(true);
  });
});

describe('preload and middleware', () => {
  test('a request the preload took before the middleware asked for marks is still counted once', async () => {
    const { recorder } = testRecorder({ sampleRate: 0, traceSampleRate: 0 });
    // The app's own middleware begins inside the preload's handler (sync part, then async rest).
    const handler = instrumentHandler(async (req: Request) => {
      const inner = recorder.begin(req); // the middleware's entry: sees the preload's state
      await Promise.resolve();
      return inner === undefined ? new Response('once') : new Response('twice', { status: 500 });
    }, recorder, '/m');
    const response = (await handler(request('/m'))) as Response;
    expect(await response.text()).toBe('once');
    expect(recorder.drain().rollups.reduce((n, c) => n + c.count, 0)).toBe(1);
  });
});
