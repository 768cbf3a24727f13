// A rule's error episode on the alerts panel: an event, shown as an error with no Resolve button. It
// had been shown as a firing alert for good (no notification ends an error episode), and its Resolve
// button answered 404, since resolveAlert knows no such id (found by a review).
import { expect, test } from 'bun:test';
import type { AlertNotification } from '../../src/core/alerts/notification.ts';
import { alertViews } from '../../src/core/dashboard/alert-views.ts';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { AlertsPanel } from '../../src/views/alerts-panel.tsx';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '1h', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const T = Date.UTC(2026, 10, 30, 12);

const notification = (id: string, state: AlertNotification['state'], timestamp: number): AlertNotification => ({
  id, key: `${id}:${state}:${timestamp}`, ruleId: id.split('-')[0]!, ruleName: `rule ${id}`, severity: 'warning', state, metric: 'p95', condition: 'gt',
  threshold: 500, value: state === 'error' ? null : 900, window: 60_000, startsAt: T, timestamp, message: `${id} ${state}`, ...(state === 'resolved' && { endsAt: timestamp }),
});

test('an error episode is an error, with no Resolve button; a firing alert keeps its button; a resolved one has none', () => {
  const history = [notification('flaky-error-1', 'error', T + 60_000), notification('slow-1', 'firing', T), notification('done-1', 'resolved', T + 120_000)];
  const views = alertViews([notification('slow-1', 'firing', T)], history);
  expect(Object.fromEntries(views.map((v) => [v.id, v.state]))).toEqual({ 'flaky-error-1': 'error', 'slow-1': 'firing', 'done-1': 'resolved' });
  const html = String(AlertsPanel({ ctx: CTX, alerts: views }));
  const items = html.split('<li ').slice(1);
  const item = (id: string) => items.find((li) => li.includes(`data-alert-id="${id}"`))!;
  expect(item('flaky-error-1')).toContain('<span class="badge">error</span>');
  expect(item('flaky-error-1')).not.toContain('Resolve');
  expect(item('slow-1')).toContain('Resolve');
  expect(item('done-1')).not.toContain('Resolve');
  // Firing first, then the error, then the resolved.
  expect(items.map((li) => /data-alert-id="([^"]+)"/.exec(li)![1])).toEqual(['slow-1', 'flaky-error-1', 'done-1']);
});
