// The dashboard's other views over what an app recorded in process (or a page's own address): that
// text never passed the edge's check, so each view shows it as the edge would store it. A review found
// an addAlert message and a Hono route template with raw NUL, ESC, U+202E and U+FEFF on /performance.
import { expect, test } from 'bun:test';
import type { AlertView, InstanceSampling, InstanceView, RequestsNotReceived, RouteRow } from '../../src/core/dashboard/data.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import type { UsageReport } from '../../src/core/usage/usage.ts';
import { AlertsPanel } from '../../src/views/alerts-panel.tsx';
import { SystemPanel } from '../../src/views/charts-panel.tsx';
import { EmptyState } from '../../src/views/empty-state.tsx';
import { Layout } from '../../src/views/layout.tsx';
import { LoginPage } from '../../src/views/login-page.tsx';
import { NotReceivedPanel } from '../../src/views/not-received-panel.tsx';
import { RoutesTable } from '../../src/views/routes-table.tsx';
import { SamplingNote } from '../../src/views/sampling-note.tsx';
import { TracePage } from '../../src/views/trace-page.tsx';
import { UsagePanel } from '../../src/views/usage-panel.tsx';

// What the reviewer's alert carried: bidi, zero-width, C0 and C1 controls, BOM, soft hyphen, line separator.
const BAD = '\u202e\u200b\u0000\u001b\u0085\u009b\u2066\ufeff\u00ad\u2028\u200e';
// Anything a page should not carry raw (as test/views/trace-invisible-text.test.ts, with U+2028 and the soft hyphen).
const UNSHOWN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2028-\u2029\u2060-\u2069\ufeff]/;
const rawLines = (html: string) => html.split('\n').filter((line) => UNSHOWN.test(line)).map((line) => JSON.stringify(line));

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const T = Date.UTC(2026, 10, 30, 12);

test('an alert\'s name shows these characters as U+FFFD, its message keeps its line breaks', () => {
  const alerts: AlertView[] = [
    { id: 'manual-1', name: `alert${BAD}\nmsg`, severity: 'warning', state: 'firing', startedAt: T },
    { id: 'slow-1', ruleId: 'slow', name: 'slow\u202e', severity: 'critical', state: 'firing', startedAt: T, message: 'p95 on /r\u202e\u0000\u001b\u0085\u2066\n\tover' },
  ];
  const html = String(AlertsPanel({ ctx: CTX, alerts, configProblems: [`rule "x\u202e\u0000": refused`] }));
  expect(rawLines(html)).toEqual([]);
  expect(html).toContain(`<strong class="name">alert${'\ufffd'.repeat(12)}msg</strong>`);
  expect(html).toContain('<strong class="name">slow\ufffd</strong>');
  // Free text: bidi and controls as U+FFFD, line breaks and tabs kept.
  expect(html).toContain('<span class="message">p95 on /r\ufffd\ufffd\ufffd\ufffd\ufffd\n\tover</span>');
  expect(html).toContain('<li>rule &quot;x\ufffd\ufffd&quot;: refused</li>');
});

test('a route template, its method and a route filter show these characters as U+FFFD, still escaped', () => {
  const row: RouteRow = {
    method: 'GET\u0000', route: '/caf\u202e\u200b/:id<b>', overflow: false, requests: 3, errors: 0, clientErrors: 0, errorRate: 0, rps: 1,
    latency: { avg: 1, p50: 1, p95: 2, p99: 3, max: 4 } as RouteRow['latency'], apdex: 1,
  };
  const html = String(RoutesTable({ ctx: CTX, rows: [row], sort: 'requests' }));
  expect(rawLines(html)).toEqual([]);
  expect(html).toContain('<span class="method">GET\ufffd</span> <span>/caf\ufffd\ufffd/:id&lt;b&gt;</span>');
  // The link still filters by the route as recorded.
  expect(html).toContain('route=%2Fcaf%E2%80%AE%E2%80%8B%2F%3Aid%3Cb%3E');
  // Its whole name on hover (cut with an ellipsis in the table: a review), escaped as any attribute.
  expect(html).toContain('title="GET\ufffd /caf\ufffd\ufffd/:id&lt;b&gt;"');

  const page = String(Layout({ ctx: { ...CTX, route: '/x\u202e\u2066', method: 'GET', title: 'APM\u200b', app: 'sh\u202eop', apps: ['sh\u202eop', 'b\u0000'] }, subtitle: 'Trace\u0000', children: '' }));
  expect(rawLines(page)).toEqual([]);
  expect(page).toContain('<span>GET /x\ufffd\ufffd</span>');
  expect(page).toContain('<title>Trace\ufffd · APM\ufffd</title>');
  expect(page).toMatch(/>\s*sh\ufffdop\s*<\/a>/);
  expect(page).toMatch(/>\s*b\ufffd\s*<\/a>/);
});

test('instances, app names, usage warnings and trace warnings show these characters as U+FFFD', () => {
  const instance = `host${BAD}-1`;
  const shown = `host${'\ufffd'.repeat(11)}-1`;
  const instances: InstanceView[] = [{ instance, pid: 1, lastSeen: T, sending: true }];
  const losses: RequestsNotReceived[] = [{ instance, requests: 5, reportedAt: T }];
  const sampling: InstanceSampling[] = [{ instance, policy: { samplesPerSecond: 10, tracesPerSecond: 1, parentTracesPerSecond: 1 } }];
  const report: UsageReport = {
    app: 'shop', plan: null, now: T, days: [], limits: null, quotas: [],
    instances: [{ instance, ingestRequests: 1, rowsWritten: 1, ingestBytes: 1, events: 1 }],
    warnings: [{ kind: 'rowsWritten', message: `near\u202e the\u0000 quota\nof rows` }],
  };
  const parts = [
    String(SystemPanel({ ctx: CTX, instances })),
    String(NotReceivedPanel({ losses })),
    String(SamplingNote({ sampling })),
    String(UsagePanel({ usage: { report, account: null } })),
    String(EmptyState({ ctx: { ...CTX, app: `shop${BAD}`, inProcess: true } })),
    String(EmptyState({ ctx: { ...CTX, app: `shop${BAD}` } })),
    String(TracePage({ ctx: CTX, traceId: 'a'.repeat(32), spans: [], warnings: [`left out\u202e\u0000\nmore`] })),
    String(LoginPage({ ctx: CTX, error: 'wrong\u202e key\u001b' })),
  ];
  for (const html of parts) expect(rawLines(html)).toEqual([]);
  for (const html of parts.slice(0, 4)) expect(html).toContain(shown);
  expect(parts[3]).toContain('near\ufffd the\ufffd quota\nof rows');
  expect(parts[4]).toContain(`shop${'\ufffd'.repeat(11)}`);
  expect(parts[6]).toContain('left out\ufffd\ufffd\nmore');
  expect(parts[7]).toContain('wrong\ufffd key\ufffd');
});

test('a route whose characters draw as nothing (joiners, tags, fillers, selectors) does not look like /users/:id', () => {
  const route = '/users/\u200c\u200d\u{e0041}\u034f\u3164\u115f\ufe0f\u2800\u180b\ufff9:id';
  const row: RouteRow = {
    method: 'GET', route, overflow: false, requests: 3, errors: 0, clientErrors: 0, errorRate: 0, rps: 1,
    latency: { avg: 1, p50: 1, p95: 2, p99: 3, max: 4 } as RouteRow['latency'], apdex: 1,
  };
  const html = String(RoutesTable({ ctx: CTX, rows: [row], sort: 'requests' }));
  expect(html).toContain(`<span class="method">GET</span> <span>/users/${'\ufffd'.repeat(10)}:id</span>`);
  expect(html).not.toContain('<span>/users/:id</span>');
  const page = String(Layout({ ctx: { ...CTX, route, method: 'GET', app: 'sh\u200dop\u3164', apps: ['sh\u200dop\u3164'] }, children: '' }));
  expect(page).toContain(`<span>GET /users/${'\ufffd'.repeat(10)}:id</span>`);
  expect(page).toContain('sh\ufffdop\ufffd');
  expect(page).not.toMatch(/[\u200c\u200d\u034f\u3164\u115f\ufe0f\u2800\u180b\ufff9]|\u{e0041}/u);
});
