// The dashboard link in notifications: DASHBOARD_URL given as the Worker's address alone had linked
// every Slack message, webhook and email to the Worker's 404 (a review); the dashboard is under it,
// at DASHBOARD_PATH. A URL with a path of its own is what the operator chose, and is kept. Plain JS:
// the Bun-side typecheck must not follow it into the Worker's sources.
import { expect, test } from 'bun:test';
import { readAlertConfig } from '../../../src/edge/alerting/alert-config.ts';

/** @param {Record<string, string>} vars */
const linked = (vars) => readAlertConfig(vars).dashboardUrl;

test("DASHBOARD_URL without a path links the dashboard at DASHBOARD_PATH; one with a path is kept as it is", () => {
  expect(linked({ DASHBOARD_URL: 'https://apm.example.workers.dev' })).toBe('https://apm.example.workers.dev/performance');
  expect(linked({ DASHBOARD_URL: 'https://apm.example.workers.dev/' })).toBe('https://apm.example.workers.dev/performance');
  expect(linked({ DASHBOARD_URL: 'http://127.0.0.1:8787', DASHBOARD_PATH: '/ops/apm' })).toBe('http://127.0.0.1:8787/ops/apm');
  expect(linked({ DASHBOARD_URL: 'https://apm.example/performance', DASHBOARD_PATH: '/ops/apm' })).toBe('https://apm.example/performance');
  expect(linked({ DASHBOARD_URL: 'https://apm.example/custom/page?tab=alerts' })).toBe('https://apm.example/custom/page?tab=alerts');
  // A bad DASHBOARD_PATH is the settings check's to name: the link takes the default meanwhile.
  expect(linked({ DASHBOARD_URL: 'https://apm.example', DASHBOARD_PATH: 'no-slash' })).toBe('https://apm.example/performance');
  expect(linked({})).toBeUndefined();
});
