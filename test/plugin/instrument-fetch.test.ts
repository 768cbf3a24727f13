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
