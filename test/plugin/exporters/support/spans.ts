// Spans for exporter tests: deterministic ids from a counter, so payloads can be matched exactly.
import type { Span } from '../../../../src/core/wire-format.ts';

let counter = 0;

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** A finished server span; override what the test is about. */
export function makeSpan(overrides: Partial<Span> = {}): Span {
  counter++;
  return {
    traceId: `4bf92f3577b34da6${hex(counter, 16)}`,
    spanId: `00f067aa${hex(counter, 8)}`,
    name: 'GET /users/:id',
    kind: 'server',
    startTime: 1_700_000_000_123.456,
    duration: 12.5,
    status: 'ok',
    tags: { 'http.method': 'GET' },
    logs: [],
    ...overrides,
  };
}

export function makeSpans(count: number, overrides: Partial<Span> = {}): Span[] {
  return Array.from({ length: count }, () => makeSpan(overrides));
}
