// The preload's wrapper of a handler (Recorder.wrap through instrumentHandler), in-process: the app
// gets exactly what its handler gave, and each way out of the handler (a Response, a Promise,
// something else, a throw) is counted once, whether it ends on the lean path or the general one.
import { describe, expect, test } from 'bun:test';
import { instrumentHandler as wrap } from '../../src/plugin/preload/instrument-handler.ts';
import { instrumentHandler, SERVER } from './support/served-handler.ts';
import { RequestState, running, stateOf } from '../../src/plugin/runtime/request-state.ts';
import { testRecorder } from './support/recorder.ts';

const request = (path: string, headers?: Record<string, string>) => new Request(`http://app.test${path}`, { headers });
const cells = (recorder: ReturnType<typeof testRecorder>['recorder']) =>
  recorder
    .drain()
    .rollups.map((cell) => `${cell.method} ${cell.route} ${cell.statusClass} ${cell.count}/${cell.errors}`)
    .sort();

describe('the wrapped handler', () => {
  test('same this, arguments and Response; counted under its template; the slot is free afterwards', () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    const self = { name: 'app' };
    const server = { name: 'server' };
    const response = new Response('ok', { status: 201 });
    let seen: unknown[] = [];
    const handler = instrumentHandler(function (this: unknown, req: Request, srv: unknown) {
      seen = [this, req, srv];
      return response;
    }, recorder, '/things/:id');
    const req = request('/things/1');
    expect(handler.call(self, req, server)).toBe(response);
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(self);
    expect(seen[1]).toBe(req);
    expect(seen[2]).toBe(server);
    expect(running.request).toBeUndefined();
    expect(recorder.inFlight).toBe(0);
    expect(cells(recorder)).toEqual(['GET /things/:id 2xx 1/0']);
  });

  test('a throw reaches the app unchanged and counts as a 500 with its class; so does a rejection', async () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const thrown = new TypeError('sync');
    const rejected = new RangeError('async');
    const sync = instrumentHandler((_req: Request) => {
      throw thrown;
    }, recorder, '/sync');
    const async = instrumentHandler(async (_req: Request) => {
      await Bun.sleep(1);
      throw rejected;
    }, recorder, '/async');
    let caught: unknown;
    try {
      sync(request('/sync'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(thrown);
    expect(await (async(request('/async')) as Promise<unknown>).catch((error: unknown) => error)).toBe(rejected);
    const { rollups, samples } = recorder.drain();
    expect(rollups.map((cell) => `${cell.route} ${cell.statusClass} ${cell.errors}`).sort()).toEqual(['/async 5xx 1', '/sync 5xx 1']);
    expect(samples.map((sample) => sample.error).sort()).toEqual(['RangeError', 'TypeError']);
    expect(recorder.inFlight).toBe(0);
  });

  test('something other than a Response is handed back as it is and counted an error (InvalidResponse) under what Bun sends: 204, 200 in development', () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const odd = { not: 'a response' };
    const handler = instrumentHandler((_req: Request, _server?: unknown) => odd, recorder, '/odd');
    expect(handler(request('/odd'), { development: false })).toBe(odd);
    expect(handler(request('/odd'), { development: true })).toBe(odd);
    expect(running.request).toBeUndefined();
    expect(recorder.inFlight).toBe(0);
    const { rollups, samples } = recorder.drain();
    expect(rollups.map((cell) => `${cell.route} ${cell.statusClass} ${cell.count}/${cell.errors}`).sort()).toEqual(['/odd 2xx 2/2']);
    expect(samples.map((sample) => [sample.statusCode, sample.error])).toEqual([[204, 'InvalidResponse'], [200, 'InvalidResponse']]);
  });

  test("a call without a server (the app's own server.fetch: Bun passes the server with every HTTP request) is handed through as it is and not counted", async () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const answer = new Response('inner');
    const failure = new RangeError('inner');
    const wrapped = wrap((req: Request, _server?: unknown) => {
      if (req.url.endsWith('/throws')) throw failure;
      return answer;
    }, recorder, '/inner');
    expect(wrapped(request('/inner'))).toBe(answer);
    expect(() => wrapped(request('/throws'))).toThrow(failure);
    // Called as Bun calls it, the same handler counts.
    expect(wrapped(request('/inner'), SERVER)).toBe(answer);
    expect(running.request).toBeUndefined();
    expect(recorder.inFlight).toBe(0);
    expect(recorder.drain().rollups.map((cell) => `${cell.route} ${cell.statusClass} ${cell.count}`)).toEqual(['/inner 2xx 1']);
  });

  test('a handler that calls another: both counted, the inner one on a state of its own', () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const inner = instrumentHandler((_req: Request) => new Response('inner', { status: 404 }), recorder, '/inner');
    let outerState: unknown;
    const outer = instrumentHandler((req: Request) => {
      outerState = stateOf(req);
      const response = inner(request('/inner')) as Response;
      expect(stateOf(req)).toBe(outerState as never); // the inner request did not take the outer one's state
      return new Response(`outer saw ${response.status}`);
    }, recorder, '/outer');
    outer(request('/outer'));
    expect(outerState).toBeDefined();
    expect(cells(recorder)).toEqual(['GET /inner 4xx 1/0', 'GET /outer 2xx 1/0']);
    expect(recorder.inFlight).toBe(0);
  });

  test('a lean request whose recording fails: the app gets its response, one warning, and the next request is counted', () => {
    const { recorder, lines } = testRecorder({ sampleRate: 0 });
    const handler = instrumentHandler((_req: Request) => new Response('fine'), recorder); // no template: the route comes from the URL
    // A request-like object whose URL cannot be read: the recording reads it only after the handler ran.
    const broken = { method: 'GET', headers: new Headers(), get url(): string { throw new Error('no url here'); } };
    for (let i = 0; i < 3; i++) expect(((handler as (req: unknown) => Response)(broken)).status).toBe(200);
    expect(lines.filter((line) => line.includes('recording a request failed'))).toHaveLength(1);
    expect(lines.join('\n')).toContain('no url here');
    expect(running.request).toBeUndefined();
    expect(recorder.inFlight).toBe(0);
    handler(request('/after'));
    expect(cells(recorder)).toEqual(['GET /after 2xx 1/0']);
  });

  test('a failure whose error cannot even be described: still the response, and the slot is freed', () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    const handler = instrumentHandler((_req: Request) => new Response('fine'), recorder);
    const hostile = {
      get message(): string {
        throw new Error('no message either');
      },
    };
    const broken = { method: 'GET', headers: new Headers(), get url(): string { throw hostile; } };
    expect(((handler as (req: unknown) => Response)(broken)).status).toBe(200);
    expect(running.request).toBeUndefined();
    expect(recorder.inFlight).toBe(0);
  });

  test('what a router hook or a failure left on the reusable state never reaches the next request', () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const hooked = instrumentHandler((req: Request) => {
      const state = stateOf(req)!; // as a router hook finds it, then notes what it matched
      state.routerRoute = '/hooked/:id';
      state.erroredRoute = '/errored';
      state.bytes = 42;
      return new Response('ok');
    }, recorder);
    const throwsText = instrumentHandler((_req: Request) => {
      throw 'not an Error'; // no object to key the error handler's lookup: ends on the slot itself
    }, recorder);
    const plain = instrumentHandler((_req: Request) => new Response('plain'), recorder);
    hooked(request('/hooked/1'));
    plain(request('/after-hook'));
    expect(() => throwsText(request('/throws'))).toThrow();
    plain(request('/after-throw'));
    const { samples } = recorder.drain();
    expect(samples.map((s) => [s.path, s.route, s.statusCode, s.error, s.responseSize])).toEqual([
      ['/hooked/1', '/hooked/:id', 200, undefined, 42],
      ['/after-hook', '/after-hook', 200, undefined, undefined],
      ['/throws', '/throws', 500, 'string', undefined],
      ['/after-throw', '/after-throw', 200, undefined, undefined],
    ]);
  });

  test('after every way a request can leave something on the reusable state, the next one finds it as new', async () => {
    const { recorder } = testRecorder({ sampleRate: 1 });
    const fresh = new RequestState(request('/'), 0, 'GET');
    // Set for every request (sampled by the rate, duration when it ends), so not compared.
    const setEachTime = new Set(['request', 'start', 'method', 'serveRoute', 'sampled', 'duration']);
    const leftovers: string[][] = [];
    const probe = instrumentHandler((_req: Request) => {
      const state = running.state! as unknown as Record<string, unknown>; // read directly: stateOf would mark it watched
      leftovers.push(Object.keys(fresh).filter((key) => !setEachTime.has(key) && state[key] !== (fresh as unknown as Record<string, unknown>)[key]));
      return new Response('probe');
    }, recorder);
    const hook = (req: Request) => {
      const state = stateOf(req)!;
      state.routerRoute = '/hooked/:id';
      state.erroredRoute = '/errored';
      state.error = 'HookError';
      state.bytes = 42;
    };
    const ways: Array<(req: Request) => unknown> = [
      (req) => (hook(req), new Response('hooked')),
      (req) => (hook(req), Promise.resolve(new Response('hooked, then async'))),
      () => {
        throw new TypeError('an object: the state is copied out for the error handler');
      },
      () => {
        throw 'not an object';
      },
      () => 'not a Response',
    ];
    for (const way of ways) {
      try {
        await instrumentHandler(way, recorder)(request('/way'));
      } catch {
        // thrown on purpose
      }
      probe(request('/probe'));
    }
    expect(leftovers).toEqual(ways.map(() => []));
  });

  test('detail on the lean path: the record names the path, route and status the handler produced', () => {
    const { recorder } = testRecorder({ sampleRate: undefined, samplesPerSecond: 1_000 });
    const handler = instrumentHandler((req: Request) => new Response('x'.repeat(3), { status: new URL(req.url).searchParams.has('missing') ? 404 : 200 }), recorder, '/items/:id');
    handler(request('/items/5?missing=1', { 'user-agent': 'probe/1' }));
    handler(request('/items/6'));
    const { samples } = recorder.drain();
    expect(samples.map((s) => [s.path, s.route, s.statusCode, s.userAgent])).toEqual([
      ['/items/5', '/items/:id', 404, 'probe/1'],
      ['/items/6', '/items/:id', 200, undefined],
    ]);
  });

  test('serverTiming `all`: an untraced response on the lean path gets its total', () => {
    const { recorder } = testRecorder({ sampleRate: 0, serverTiming: 'all' });
    const response = instrumentHandler((_req: Request) => new Response('t'), recorder, '/t')(request('/t')) as Response;
    expect(response.headers.get('server-timing')).toMatch(/^total;dur=\d+(\.\d+)?$/);
    expect(response.headers.get('traceparent')).toBeNull();
  });

  test('a traced request goes the general way: one trace token for it, its span and a traceparent on the response', () => {
    const { recorder, spans } = testRecorder({ sampleRate: 0, traceSampleRate: undefined, tracesPerSecond: 1 });
    const handler = instrumentHandler((_req: Request) => new Response(), recorder, '/traced');
    const responses = Array.from({ length: 5 }, () => handler(request('/traced')) as Response);
    const traced = responses.filter((response) => response.headers.get('traceparent') !== null);
    // A full bucket of 1 per second holds 2 (the burst): two requests traced. A decision taken twice
    // (once to leave the lean path, again on the general one) would spend both tokens on the first.
    expect(traced).toHaveLength(2);
    expect(spans.map((span) => span.name)).toEqual(['GET /traced', 'GET /traced']);
    expect(cells(recorder)).toEqual(['GET /traced 2xx 5/0']);
  });

  test("in flight: the slot's request while its handler runs, one gone async until it settles, a nested one on top", async () => {
    const { recorder } = testRecorder({ sampleRate: 0 });
    const seen: Record<string, number> = {};
    const inner = instrumentHandler((_req: Request) => {
      seen.nested = recorder.inFlight;
      return new Response('inner');
    }, recorder, '/inner');
    const outer = instrumentHandler((_req: Request) => {
      seen.sync = recorder.inFlight;
      inner(request('/inner'));
      seen.afterNested = recorder.inFlight;
      return new Response('outer');
    }, recorder, '/outer');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = instrumentHandler(async (_req: Request) => {
      await gate;
      return new Response('slow');
    }, recorder, '/slow');

    outer(request('/outer'));
    expect(seen).toEqual({ sync: 1, nested: 2, afterNested: 1 });
    expect(recorder.inFlight).toBe(0);
    const pending = slow(request('/slow')) as Promise<Response>;
    expect(running.request).toBeUndefined(); // the slot is free: the request went on with a state of its own
    expect(recorder.inFlight).toBe(1);
    release();
    await pending;
    expect(recorder.inFlight).toBe(0);
    expect(cells(recorder)).toEqual(['GET /inner 2xx 1/0', 'GET /outer 2xx 1/0', 'GET /slow 2xx 1/0']);
  });
});
