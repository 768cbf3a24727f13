// The trace page over what an app recorded in process: that text never passed the edge's check, so
// the view shows it as the edge would store it. A review found raw NUL, ESC and U+202E in its <dd>s.
import { expect, test } from 'bun:test';
import type { Span } from '../../src/core/wire-format.ts';
import type { TraceRow } from '../../src/core/dashboard/data.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { visibleText } from '../../src/core/invisible-text.ts';
import { TraceWaterfall } from '../../src/views/trace-waterfall.tsx';
import { TracesPanel } from '../../src/views/traces-panel.tsx';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const TRACE = 'a'.repeat(32);
// Anything a page should not carry raw: C0/C1 controls but tab and line breaks, bidi and zero-width characters.
const UNSHOWN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

const hostile: Span = {
  traceId: TRACE, spanId: '1'.repeat(16), name: 'GET /raw/\u202e\u200bx\u0000', kind: 'server', startTime: 1_000, duration: 2, status: 'error',
  error: 'Error: <img src=x onerror=alert(1)> err\u202e\nsecond line\u0000\u001b[31m',
  tags: { 'http.query.q': '\u0000\u0007\u001b[31m', 'http.target': '/p/\u202egnp.exe', 'x-\u202ekey\u0000': 'v' },
  logs: [{ timestamp: 1_001, level: 'warn\u202e', message: 'first\u001b[0m\n\u2066second', fields: { '\u202ek': '\u0000v\u202e' } }],
};

test('span names, tag keys and values, errors and log lines show control, bidi and zero-width characters as U+FFFD', () => {
  const html = String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans: [hostile] }));
  const raw = html.split('\n').filter((line) => UNSHOWN.test(line)).map((line) => JSON.stringify(line));
  expect(raw).toEqual([]);
  expect(html).toContain('<span>GET /raw/\ufffd\ufffdx\ufffd</span>');
  expect(html).toContain('<dd>\ufffd\ufffd\ufffd[31m</dd>');
  expect(html).toContain('<dd>/p/\ufffdgnp.exe</dd>');
  expect(html).toContain('<dt>x-\ufffdkey\ufffd</dt>');
  // Free text keeps its line breaks, as the edge keeps them; it stays escaped.
  expect(html).toContain('<dd>Error: &lt;img src=x onerror=alert(1)&gt; err\ufffd\nsecond line\ufffd\ufffd[31m</dd>');
  expect(html).toContain('first\ufffd[0m\n\ufffdsecond');
});

test('the traces list shows a trace\'s name the same way', () => {
  const trace: TraceRow = { traceId: TRACE, name: 'GET /raw/\u202e\u200b\u2066x', startTime: 1_000, duration: 2, spanCount: 1, error: false, statusCode: 200 };
  const html = String(TracesPanel({ ctx: CTX, traces: [trace], filter: {} }));
  expect(UNSHOWN.test(html)).toBe(false);
  expect(html).toContain('GET /raw/\ufffd\ufffd\ufffdx');
});

test('visibleText: one U+FFFD for each control or bidi character, tabs and line breaks kept', () => {
  expect(visibleText('a\u0000b\u001b[31m\t\r\n\u202ec\u2028d\u0085')).toBe('a\ufffdb\ufffd[31m\t\r\n\ufffdc\u2028d\ufffd');
});
