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

test('a DASHBOARD_URL that is no http(s) URL is named among the problems, not dropped unsaid (a review: `javascript:…` was left out of every link with nothing said)', () => {
  for (const url of ['javascript:alert(1)//', 'ftp://apm.example/', 'not a url']) {
    const config = readAlertConfig({ DASHBOARD_URL: url });
    expect(config.dashboardUrl).toBeUndefined();
    expect(config.problemsFor('shop')).toEqual(['DASHBOARD_URL: expected an http(s) URL of the dashboard; notifications carry no dashboard link until it is one']);
  }
});

test('ALERT_EMAIL_TO with one bad address among good ones: the others still get the alerts, the bad one named by its place, not its text (it had left the whole channel out, unnamed)', () => {
  const config = readAlertConfig({ ALERT_EMAIL_TO: 'oncall@example.com, bad address, ops@example.com' });
  const emails = config.channels.filter((c) => c.channel.type === 'email').map((c) => c.channel.config.email);
  expect(emails).toEqual(['oncall@example.com', 'ops@example.com']);
  expect(config.problemsFor('shop')).toEqual(['ALERT_EMAIL_TO: address 2 of 3 is not an email address and gets no alerts; the others do']);
  const none = readAlertConfig({ ALERT_EMAIL_TO: 'nope, also nope' });
  expect(none.channels).toEqual([]);
  expect(none.problemsFor('shop')[0]).toBe('ALERT_EMAIL_TO: addresses 1, 2 of 2 are not email addresses and get no alerts');
});

test('ALERT_RULES under an app no ingest key writes to is named to every app, with the nearest app (a review: `opsap` for opsapp ran for none, unsaid)', () => {
  const rule = { id: 'typo', name: 'Typo', metric: 'p95', condition: 'gt', threshold: 100, duration: 60000, severity: 'warning' };
  const config = readAlertConfig({ INGEST_KEYS: 'opsapp:ing_a,\nblog:ing_b', ALERT_RULES: JSON.stringify({ opsap: [rule], blog: [{ ...rule, id: 'fine' }], '*': [{ ...rule, id: 'all' }] }) });
  const said = 'ALERT_RULES.opsap: no app of that name has an ingest key (INGEST_KEYS), so its rules run for none (did you mean opsapp?)';
  expect(config.problemsFor('opsapp')).toEqual([said]);
  expect(config.problemsFor('blog')).toEqual([said]);
  expect(config.rulesFor('blog').map((r) => r.id)).toEqual(['all', 'fine']);
  expect(JSON.stringify(config.problemsFor('blog'))).not.toContain('ing_');
  // Without INGEST_KEYS there is nothing to tell apps by: nothing is said.
  expect(readAlertConfig({ ALERT_RULES: JSON.stringify({ opsap: [rule] }) }).problemsFor('opsapp')).toEqual([]);
});
