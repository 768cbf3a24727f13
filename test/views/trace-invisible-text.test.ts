// The trace page over what an app recorded in process: that text never passed the edge's check, so
// the view shows it as the edge would store it. A review found raw NUL, ESC and U+202E in its <dd>s.
import { describe, expect, test } from 'bun:test';
import type { Span } from '../../src/core/wire-format.ts';
import type { TraceRow } from '../../src/core/dashboard/data.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { visibleName, visibleText } from '../../src/core/invisible-text.ts';
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

// A key holder's route names: each character draws as nothing, so the route looked exactly like
// /users/:id in the dashboard and the API. Each one, on its own, becomes one U+FFFD in a name.
const UNDRAWN: Array<[string, string]> = [
  ['\u200c', 'zero-width non-joiner'], ['\u200d', 'zero-width joiner'], ['\u{e0041}', 'tag latin capital A'], ['\u{e0001}', 'language tag'],
  ['\u{e007f}', 'cancel tag'], ['\u034f', 'combining grapheme joiner'], ['\u3164', 'Hangul filler'], ['\u115f', 'Hangul choseong filler'],
  ['\u1160', 'Hangul jungseong filler'], ['\uffa0', 'halfwidth Hangul filler'], ['\ufe0f', 'variation selector 16'], ['\ufe00', 'variation selector 1'],
  ['\u{e0100}', 'variation selector 17'], ['\u2800', 'braille blank'], ['\u180b', 'Mongolian free variation selector 1'], ['\u180f', 'Mongolian free variation selector 4'],
  ['\ufff9', 'interlinear annotation anchor'], ['\ufffb', 'interlinear annotation terminator'], ['\u17b4', 'Khmer vowel inherent aq'], ['\u2065', 'unassigned default ignorable'],
  ['\u{1d173}', 'musical symbol begin beam'], ['\u{1bca0}', 'shorthand format letter overlap'],
];

describe('visibleName: every character drawn as nothing is U+FFFD', () => {
  for (const [c, what] of UNDRAWN) {
    test(`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ${what}`, () => {
      expect(visibleName(`/users/${c}:id`)).toBe('/users/\ufffd:id');
      expect(visibleName(`${c}${c}`)).toBe('\ufffd\ufffd');
    });
  }

  test('the key holder\'s route: all of them at once, one U+FFFD each', () => {
    const route = '/users/\u200c\u200d\u{e0041}\u034f\u3164\u115f\ufe0f\u2800\u180b\ufff9:id';
    expect(visibleName(route)).toBe(`/users/${'\ufffd'.repeat(10)}:id`);
    expect(visibleName(visibleName(route))).toBe(visibleName(route));
  });

  test('what was handled before is handled the same: controls, bidi controls, zero-width, separators; a lone surrogate is left to wellFormed', () => {
    expect(visibleName('a\u0000b\u001b\u0085\u202e\u2066\u061c\u200b\u2060\ufeff\u00ad\u180e\u2028\u2029\t\nz')).toBe(`a\ufffdb${'\ufffd'.repeat(14)}z`);
    expect(visibleName('/x\ud800y\udc00')).toBe('/x\ud800y\udc00');
  });

  test('ordinary text is kept: letters of any script, spaces, digits, emoji without selectors or joiners, U+FFFD', () => {
    for (const text of [
      '/users/:id', 'GET /api/v1/orders?x=1&y=2', 'caf\u00e9 na\u00efve \u00c5ngstr\u00f6m', '\u0645\u0631\u062d\u0628\u0627 \u0633\u0644\u0627\u0645', '\u05e9\u05dc\u05d5\u05dd',
      '\u0928\u092e\u0938\u094d\u0924\u0947', '\u4f60\u597d\u4e16\u754c', '\u3053\u3093\u306b\u3061\u306f', '\ud55c\uad6d\uc5b4 \u1100\u1161', '\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35', '\u1019\u1004\u103a\u1039\u1002\u101c\u102c',
      '\u041f\u0440\u0438\u0432\u0435\u0442', '\u0393\u03b5\u03b9\u03ac', '\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0', 'e\u0301 combining', 'a b\u00a0c\u2003d\u3000e',
      '\u{1f600}\u{1f680}\u2764\u{1f1eb}\u{1f1f7}\u{1f44d}\u{1f3fd}', '\ufffd', '\u{1d400}\u{20000}',
    ]) expect(visibleName(text)).toBe(text);
  });
});

test('free text keeps zero-width joiners and variation selectors (emoji sequences, Persian words); only names lose them', () => {
  const text = 'deploy by \u{1f469}\u200d\u{1f4bb} \u2764\ufe0f \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645';
  expect(visibleText(text)).toBe(text);
  expect(visibleName(text)).toBe('deploy by \u{1f469}\ufffd\u{1f4bb} \u2764\ufffd \u0645\u06cc\ufffd\u062e\u0648\u0627\u0647\u0645');
});

test('a span named with characters drawn as nothing shows them as U+FFFD on the waterfall and the traces list', () => {
  const name = 'GET /users/\u200c\u200d\u{e0041}\u034f\u3164\u115f\ufe0f\u2800\u180b\ufff9:id';
  const shown = `GET /users/${'\ufffd'.repeat(10)}:id`;
  const html = String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans: [{ ...hostile, name }] }));
  expect(html).toContain(`<span>${shown}</span>`);
  const trace: TraceRow = { traceId: TRACE, name, startTime: 1_000, duration: 2, spanCount: 1, error: false, statusCode: 200 };
  expect(String(TracesPanel({ ctx: CTX, traces: [trace], filter: {} }))).toContain(shown);
});
