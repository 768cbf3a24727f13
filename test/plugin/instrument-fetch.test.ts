// Outbound trace headers: added to what the caller sends, never replacing what it set itself.
import { describe, expect, test } from 'bun:test';
import { withTraceHeaders } from '../../src/plugin/preload/instrument-fetch.ts';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('withTraceHeaders', () => {
  test('adds traceparent and tracestate to the caller’s headers, and reports method and a URL without secrets', () => {
    const out = withTraceHeaders('https://user:pw@api.example/v1/items?token=abc', { method: 'post', headers: { 'x-a': '1' } }, TP, 'k=v');
    const headers = new Headers(out.init.headers);
    expect(headers.get('traceparent')).toBe(TP);
    expect(headers.get('tracestate')).toBe('k=v');
    expect(headers.get('x-a')).toBe('1');
    expect(out.method).toBe('POST');
    expect(out.url).toBe('https://api.example/v1/items');
  });

  test('a Request input keeps its own headers and method; a traceparent the caller set is left alone', () => {
    const request = new Request('http://svc/x', { method: 'PUT', headers: { traceparent: 'mine', 'x-b': '2' } });
    const out = withTraceHeaders(request, undefined, TP, undefined);
    const headers = new Headers(out.init.headers);
    expect(headers.get('traceparent')).toBe('mine');
    expect(headers.get('x-b')).toBe('2');
    expect(out.method).toBe('PUT');
  });
});

test('an init that is a Request, a class with getters or made by Object.create keeps its method and body, as a real server receives them', async () => {
  const seen: string[] = [];
  const upstream = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: async (req) => {
    seen.push(`${req.method} ${await req.text()} ${req.headers.get('traceparent') === TP ? 'traced' : 'untraced'} ${req.headers.get('x-c') ?? '-'}`);
    return new Response('ok');
  } });
  try {
    class Init {
      get method() { return 'PATCH'; }
      get body() { return 'from-getters'; }
    }
    const inits: RequestInit[] = [
      new Request('http://incoming.example/order', { method: 'POST', body: 'order=42', headers: { 'x-c': 'kept' } }),
      Object.create({ method: 'PUT', body: 'from-prototype' }) as RequestInit,
      new Init() as RequestInit,
      { method: 'DELETE' },
    ];
    for (const init of inits) {
      const out = withTraceHeaders(upstream.url.href, init, TP, undefined);
      expect(out.method).toBe(['POST', 'PUT', 'PATCH', 'DELETE'][inits.indexOf(init)]!);
      await (await fetch(upstream.url, out.init)).text();
    }
    expect(seen).toEqual(['POST order=42 traced kept', 'PUT from-prototype traced -', 'PATCH from-getters traced -', 'DELETE  traced -']);
  } finally {
    upstream.stop(true);
  }
});
