// Several ALERT_EMAIL_TO recipients, one refused by the send_email binding (an unverified
// destination, found by a review): the others get each notification once, the refused one is
// retried alone, and its delivery says why. Real workerd and Miniflare's send_email binding,
// which refuses addresses outside its allowed destinations as Cloudflare's does.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { CaptureLog, MINUTE, cron, cronFirst, ingestMinute } from './support.ts';

setDefaultTimeout(90_000);

const log = new CaptureLog();
let edge: LocalEdge;
// M0: slow requests; M1: fast ones. At M1 the 1-minute window holds both (p95 slow): firing; from M2 on: resolved.
const M0 = minuteAgo(40);
const M1 = M0 + MINUTE;
const TICKS = 12;

beforeAll(async () => {
  edge = await startEdge({
    log,
    emailDestinations: ['oncall@example.com', 'lead@example.com'],
    bindings: {
      BUN_APM_DEV: 'true',
      ALERT_RULES: JSON.stringify([{ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 500, severity: 'critical', duration: MINUTE }]),
      ALERT_EMAIL_TO: 'oncall@example.com, unverified@example.com, lead@example.com',
      ALERT_EMAIL_FROM: 'alerts@example.com',
    },
  });
  await cronFirst(edge, M0 - MINUTE);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M0, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', M1, 10);
});

afterAll(() => edge?.dispose());

test('each verified recipient gets the firing and the resolve once; the refused one is retried alone, naming why', async () => {
  // Twelve minutes of ticks: the refused recipient's firing is retried on the 1, 1, 2, 5 minute schedule.
  for (let m = 1; m <= TICKS; m++) await cron(edge, M0 + m * MINUTE);
  const mails = await Promise.all(log.emailFiles().map(async (file) => simpleParser(await readFile(file))));
  const received = mails.map((mail) => `${(mail.to as { text: string }).text} ${/FIRING|RESOLVED/.exec(mail.subject ?? '')?.[0]}`).sort();
  expect(received).toEqual(['lead@example.com FIRING', 'lead@example.com RESOLVED', 'oncall@example.com FIRING', 'oncall@example.com RESOLVED']);

  const { body } = await api(edge, '/api/v1/apps/shop/alerts');
  type Delivery = { channel: string; status: string; attempts: number; lastError: string | null };
  const deliveries = (state: string): Delivery[] => body.history.find((n: { state: string }) => n.state === state).deliveries;
  const fired = deliveries('firing');
  // One delivery a recipient, named by a key of its address (not its place in the list): see the test below.
  expect(fired.map((d) => d.channel)).toHaveLength(3);
  expect(new Set(fired.map((d) => d.channel)).size).toBe(3);
  for (const d of fired) expect(d.channel).toMatch(/^email:[0-9a-f]{8}$/);
  expect(fired.map((d) => d.status).sort()).toEqual(['pending', 'sent', 'sent']);
  const refused = fired.find((d) => d.status === 'pending')!;
  // Attempts at M1, then 1, 1, 2 and 5 minutes later (M2, M3, M5, M10): five within the twelve ticks.
  expect(refused.attempts).toBe(5);
  expect(refused.lastError).toBe('send_email: email to unverified@example.com not allowed');
  // The others were sent the resolve; the refused recipient's resolve waits behind its firing, never sent before it.
  const resolved = Object.fromEntries(deliveries('resolved').map((d) => [d.channel, [d.status, d.attempts]]));
  expect(resolved).toEqual(Object.fromEntries(fired.map((d) => [d.channel, d === refused ? ['pending', 0] : ['sent', 1]])));
});
