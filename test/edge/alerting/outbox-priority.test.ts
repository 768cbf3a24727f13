// The outbox sends what matters first. Found by a review of the packed product (both tests failed
// before the fix): the outbox was first-in-first-out, 50 rows a pass, one pass a minute, so when
// hundreds of info rules resolved at once and a critical fired the next minute, the critical's Slack
// message waited behind the whole storm (29 ticks in production). Now a pass takes firing before
// resolved, then critical, warning, info, oldest first within a rank; and a Slack 429 with
// Retry-After holds back that channel only, after which the critical still goes first.
// Each receiver here counts what it got on its own, from the bodies, so nothing lost or sent twice
// can hide behind the outbox's own bookkeeping.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { RollupTable } from '../../../src/core/rollup.ts';
import type { Batch } from '../../../src/core/wire-format.ts';
import { KEYS, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, ingestMinute } from './support.ts';

interface Hit {
  path: string;
  status: number;
  /** `${state}:${alert id}`, read from the body (Slack: its header and context blocks; webhook: its JSON). */
  what: string;
}

/** A Bun.serve on 127.0.0.1 recording each request; `/slack-limited` answers 429 with Retry-After while `limited`. */
function startCounter() {
  const hits: Hit[] = [];
  const state = { limited: false };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request): Promise<Response> {
      const path = new URL(request.url).pathname;
      const body = JSON.parse(await request.text());
      const what = path.startsWith('/slack') ? slackWhat(body) : `${body.state}:${body.id}`;
      if (path === '/slack-limited' && state.limited) {
        hits.push({ path, status: 429, what });
        return new Response('rate_limited', { status: 429, headers: { 'retry-after': '120' } });
      }
      hits.push({ path, status: 200, what });
      return new Response('ok');
    },
  });
  return { hits, state, url: (path: string) => `http://127.0.0.1:${server.port}${path}`, stop: () => server.stop(true) };
}

/** "FIRING: info-7 (shop)" and "Alert `info-7-1700000000000` · bun-apm" → "firing:info-7-1700000000000". */
function slackWhat(body: { blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> }): string {
  const title = body.blocks.find((b) => b.type === 'header')!.text!.text;
  const context = body.blocks.flatMap((b) => b.elements ?? []).map((e) => e.text).find((t) => t.startsWith('Alert '))!;
  return `${title.split(':')[0]!.toLowerCase()}:${/^Alert `(\S+)` /.exec(context)![1]}`;
}

/** Failing payments: POST /pay answering 500, in the minute starting at `minute`. */
function payErrors(minute: number): Batch {
  const table = new RollupTable();
  for (let i = 0; i < 10; i++) table.record(minute + 1000 + i * 100, 'POST', '/pay', 500, 20, 100);
  return {
    version: 1,
    batchId: `outbox-priority-pay-${minute}`,
    identity: { app: 'shop', service: 'api', instance: 'host-a:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + MINUTE },
    rollups: table.drain(),
    samples: [],
    spans: [],
    profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  } as Batch;
}

async function ingestBatch(edge: LocalEdge, batch: Batch): Promise<void> {
  const response = await fetch(new URL('/v1/ingest', edge.url), {
    method: 'POST',
    keepalive: false,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.shopIngest}` },
    body: JSON.stringify(batch),
  });
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
}

/** `count` info rules on GET /slow, and one critical rule on POST /pay's errors. */
function rules(count: number) {
  const info = Array.from({ length: count }, (_, i) => ({ id: `info-${i}`, name: `info-${i}`, metric: 'responseTime', route: '/slow', condition: 'gt', threshold: 300, severity: 'info', duration: 60_000 }));
  return [...info, { id: 'pay-errors', name: 'Payments failing', metric: 'errorRate', route: '/pay', condition: 'gt', threshold: 0.5, severity: 'critical', duration: 60_000 }];
}

/**
 * M0 slow on /slow: every info rule fires at T1; M1 fast: they all resolve at T2 (the storm);
 * from M2 on /pay fails: the critical fires at T3 (and keeps firing).
 */
async function storm(edge: LocalEdge, m0: number): Promise<void> {
  await cronFirst(edge, m0 - MINUTE);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', m0, 900);
  await ingestMinute(edge, KEYS.shopIngest, 'shop', m0 + MINUTE, 10);
  for (let m = 2; m <= 14; m++) await ingestBatch(edge, payErrors(m0 + m * MINUTE));
}

const INFO_RULES = 130;
const LIMITED_INFO_RULES = 80;
const M0 = minuteAgo(40);
const PER_PASS = 50;
const receiver = startCounter();
let edge: LocalEdge;
let limited: LocalEdge;

beforeAll(async () => {
  [edge, limited] = await Promise.all([
    startEdge({ bindings: { BUN_APM_DEV: 'true', ALERT_RULES: JSON.stringify({ shop: rules(INFO_RULES) }), SLACK_WEBHOOK_URL: receiver.url('/slack') } }),
    startEdge({
      bindings: {
        BUN_APM_DEV: 'true',
        ALERT_RULES: JSON.stringify({ shop: rules(LIMITED_INFO_RULES) }),
        SLACK_WEBHOOK_URL: receiver.url('/slack-limited'),
        WEBHOOK_URL: receiver.url('/webhook'),
        WEBHOOK_TOKEN: 'webhook-token-0123456789',
      },
    }),
  ]);
  await Promise.all([storm(edge, M0), storm(limited, M0)]);
}, 60_000);

afterAll(async () => {
  await edge?.dispose();
  await limited?.dispose();
  receiver.stop();
});

/** The requests a tick's pass made to these paths. */
async function pass(target: LocalEdge, time: number, paths: string[]): Promise<Hit[]> {
  const before = receiver.hits.length;
  await cron(target, time);
  return receiver.hits.slice(before).filter((h) => paths.includes(h.path));
}

const isCritical = (h: Hit) => h.what.startsWith('firing:pay-errors-');

/** Every notification delivered (answered 200) exactly once, and nothing else. */
function expectEachOnce(hits: Hit[], infoRules: number): void {
  const delivered = hits.filter((h) => h.status === 200).map((h) => h.what);
  const counts = new Map<string, number>();
  for (const what of delivered) counts.set(what, (counts.get(what) ?? 0) + 1);
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  const expected = [...Array.from({ length: infoRules }, (_, i) => [`firing:info-${i}-`, `resolved:info-${i}-`]).flat(), 'firing:pay-errors-'];
  expect(delivered).toHaveLength(expected.length);
  for (const prefix of expected) expect(delivered.filter((what) => what.startsWith(prefix))).toHaveLength(1);
}

test('a critical that fires behind a storm of info notifications reaches Slack in the first pass after it fires; every notification is delivered once', async () => {
  const T = (n: number) => M0 + n * MINUTE;
  const passes: Hit[][] = [];
  passes.push(await pass(edge, T(1), ['/slack']));
  passes.push(await pass(edge, T(2), ['/slack']));
  // T3: the critical fires with 30 firing and 130 resolved info notifications still queued.
  const firstAfter = await pass(edge, T(3), ['/slack']);
  passes.push(firstAfter);
  expect(firstAfter.filter(isCritical)).toHaveLength(1);
  // Firing before resolved: the info firings left go in this pass too, before any more resolves.
  const slack = () => receiver.hits.filter((h) => h.path === '/slack');
  expect(slack().filter((h) => h.what.startsWith('firing:info-'))).toHaveLength(INFO_RULES);
  // The storm is not over: the rest follows in later passes, in bounded passes.
  expect(slack().length).toBeLessThan(2 * INFO_RULES + 1);
  for (let n = 4; n <= 12; n++) {
    const hits = await pass(edge, T(n), ['/slack']);
    passes.push(hits);
    if (hits.length === 0) break;
  }
  expect(passes.at(-1)).toEqual([]);
  for (const hits of passes) expect(hits.length).toBeLessThanOrEqual(PER_PASS);
  expect(passes.slice(3).flat().every((h) => h.what.startsWith('resolved:'))).toBe(true);
  expectEachOnce(slack(), INFO_RULES);
}, 60_000);

test('a Slack 429 with Retry-After holds back only the Slack rows; after the wait the critical goes first, and nothing is lost or sent twice', async () => {
  const T = (n: number) => M0 + n * MINUTE;
  const paths = ['/slack-limited', '/webhook'];
  await pass(limited, T(1), paths);
  await pass(limited, T(2), paths);
  // T3: the critical fires while Slack answers 429, Retry-After: 120 (two ticks).
  receiver.state.limited = true;
  const refused = await pass(limited, T(3), paths);
  receiver.state.limited = false;
  expect(refused.filter((h) => h.path === '/slack-limited' && isCritical(h)).map((h) => h.status)).toEqual([429]);
  expect(refused.filter((h) => h.path === '/webhook' && isCritical(h)).map((h) => h.status)).toEqual([200]);
  // T4: Slack still asked to wait: not one request to it; the webhook's rows go on.
  const during = await pass(limited, T(4), paths);
  expect(during.filter((h) => h.path === '/slack-limited')).toEqual([]);
  expect(during.filter((h) => h.path === '/webhook').length).toBeGreaterThan(0);
  // T5: the wait is over and more Slack rows are due than a pass takes: the critical is among the first.
  const after = await pass(limited, T(5), paths);
  expect(after.filter((h) => h.path === '/slack-limited' && isCritical(h)).map((h) => h.status)).toEqual([200]);
  for (let n = 6; n <= 16; n++) if ((await pass(limited, T(n), paths)).length === 0) break;
  const hits = receiver.hits.filter((h) => paths.includes(h.path));
  expectEachOnce(hits.filter((h) => h.path === '/slack-limited'), LIMITED_INFO_RULES);
  expectEachOnce(hits.filter((h) => h.path === '/webhook'), LIMITED_INFO_RULES);
}, 60_000);
