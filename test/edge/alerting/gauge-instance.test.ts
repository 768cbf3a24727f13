// A gauge alert at the edge names the instance it is about: two instances send RSS, host-leaky:7
// averaging 2.55 GiB over the window; the memory rule's webhook JSON carries that instance (it had
// been `instance: null`) with the unchanged mean, and Slack's text says "of instance host-leaky:7".
// Real workerd, real receivers on 127.0.0.1.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { RollupTable } from '../../../src/core/rollup.ts';
import type { Batch } from '../../../src/core/wire-format.ts';
import { KEYS, api, ingestOk, startEdge } from '../support/edge.ts';
import { minuteAgo } from '../support/minutes.ts';
import { MINUTE, cron, cronFirst, startReceiver } from './support.ts';

setDefaultTimeout(60_000);

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const receiver = startReceiver();
const RULE = { id: 'memory', name: 'Memory high', metric: 'memoryUsage', condition: 'gt', threshold: GiB, severity: 'warning', duration: 5 * MINUTE };
const M0 = minuteAgo(40);
// One profile per minute and instance, M0..M0+4: host-a:1 is healthy, host-leaky:7 leaks.
const RSS: Record<string, number[]> = {
  'host-a:1': [300, 305, 310, 315, 320].map((m) => m * MiB),
  'host-leaky:7': [2.5, 2.53, 2.55, 2.57, 2.6].map((g) => Math.round(g * GiB)),
};
let edge: LocalEdge;

function batchOf(instance: string, minute: number, rss: number): Batch {
  const table = new RollupTable();
  table.record(minute + 1000, 'GET', '/', 200, 5, 100, false);
  return {
    version: 1,
    batchId: `gauge-${instance.replace(/[^A-Za-z0-9]/g, '_')}-${minute}`,
    identity: { app: 'shop', service: 'api', instance, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + MINUTE },
    rollups: table.drain(),
    samples: [],
    spans: [],
    profiles: [{ timestamp: minute + 30_000, rss, heapUsed: 50 * MiB, heapTotal: 80 * MiB, cpuPercent: 10, eventLoopLagMs: 2, inFlight: 0 }],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  } as Batch;
}

beforeAll(async () => {
  edge = await startEdge({
    bindings: {
      BUN_APM_DEV: 'true',
      ALERT_RULES: JSON.stringify({ shop: [RULE] }),
      WEBHOOK_URL: receiver.url('/webhook'),
      SLACK_WEBHOOK_URL: receiver.url('/slack'),
    },
  });
  // The minute before the one evaluated: one evaluation over the whole window (an earlier first tick
  // would have the minutes between evaluated first, as a late cron catches up on them).
  await cronFirst(edge, M0 + 4 * MINUTE);
  for (const [instance, values] of Object.entries(RSS)) {
    for (let m = 0; m < values.length; m++) await ingestOk(edge, batchOf(instance, M0 + m * MINUTE, values[m]!));
  }
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

test('the memory alert names the worst instance in the webhook JSON and Slack; its value is that instance\'s mean', async () => {
  await cron(edge, M0 + 5 * MINUTE);
  const leakyMean = RSS['host-leaky:7']!.reduce((a, b) => a + b, 0) / 5;
  const hooks = receiver.at('/webhook').map((r) => JSON.parse(r.body) as { ruleId: string; state: string; instance: string | null; value: number; message: string });
  expect(hooks.map((h) => `${h.ruleId}:${h.state}`)).toEqual(['memory:firing']);
  expect(hooks[0]!.instance).toBe('host-leaky:7');
  expect(hooks[0]!.value).toBeCloseTo(leakyMean, 0);
  expect(hooks[0]!.message).toBe('Memory high: memory (RSS) of instance host-leaky:7 is 2.55 GiB (> 1 GiB, last 5 min)');
  const slack = receiver.at('/slack');
  expect(slack).toHaveLength(1);
  expect((JSON.parse(slack[0]!.body) as { text: string }).text).toContain('memory (RSS) of instance host-leaky:7 is 2.55 GiB (&gt; 1 GiB, last 5 min)');
  // The active alert the edge dashboard lists carries it too.
  const { body } = await api(edge, '/api/v1/apps/shop/alerts');
  expect(body.active.map((a: { instance?: string }) => a.instance)).toEqual(['host-leaky:7']);
});
