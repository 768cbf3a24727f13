// Rules written in code (alerts.config.ts, bundled with the Worker): custom evaluators run over the
// app's detail records at the edge; one that throws puts its rule in error and the others still run.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, api, startEdge } from '../support/edge.ts';
import { MINUTE, batchOf, cron, cronFirst, startReceiver } from './support.ts';
import { minuteAgo } from '../support/minutes.ts';

const receiver = startReceiver();
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge({ entryPath: join(import.meta.dir, 'fixtures/code-rules-entry.js'), bindings: { BUN_APM_DEV: 'true', WEBHOOK_URL: receiver.url('/webhook') } });
  // The throwing evaluator announces its error at this tick already, once for the whole file.
  await cronFirst(edge, minuteAgo(15));
});

afterAll(async () => {
  await edge?.dispose();
  receiver.stop();
});

describe('rules from alerts.config.ts', () => {
  test('are listed (without their code) and cannot be changed through the API', async () => {
    const { body } = await api(edge, '/api/v1/apps/shop/rules');
    expect(body.rules.map((r: any) => [r.id, r.source, 'customEvaluator' in r])).toEqual([['us-west-slow', 'code', false], ['broken', 'code', false]]);
    expect((await api(edge, '/api/v1/apps/blog/rules', KEYS.blogRead)).body.rules).toEqual([]);
    const patch = await fetch(new URL('/api/v1/apps/shop/rules/us-west-slow', edge.url), { method: 'PATCH', keepalive: false, headers: { 'x-api-key': KEYS.admin }, body: '{"threshold":1}' });
    expect(patch.status).toBe(409);
    expect((await patch.json()).error.message).toBe("rule 'us-west-slow' comes from the rules in code; change it there");
  });

  test('a custom evaluator fires over the detail records; a throwing one reports an error', async () => {
    const M0 = minuteAgo(10);
    const batch = batchOf('shop', M0, 50);
    batch.samples = [0, 1, 2].map((i) => ({ timestamp: M0 + 1000 + i, method: 'GET', path: '/slow', route: '/slow', statusCode: 200, duration: 3000, userAgent: 'app/1 Region=US-WEST' }));
    const response = await fetch(new URL('/v1/ingest', edge.url), { method: 'POST', keepalive: false, headers: { authorization: `Bearer ${KEYS.shopIngest}`, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(response.status).toBe(202);
    await cron(edge, M0 + MINUTE);
    const states = receiver.at('/webhook').map((r) => JSON.parse(r.body)).map((b) => `${b.ruleId}:${b.state}`).sort();
    expect(states).toEqual(['broken:error', 'us-west-slow:firing']);
    const error = receiver.at('/webhook').map((r) => JSON.parse(r.body)).find((b) => b.ruleId === 'broken');
    expect(error.error).toContain('evaluator bug');
  });
});
