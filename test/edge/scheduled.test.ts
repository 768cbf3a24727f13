// The cron: every app of INGEST_KEYS gets a tick with the scheduled time, whether the runtime
// fires it or a person does through the local entry's /__scheduled (absent from production).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { startEdge } from './support/edge.ts';

let local: LocalEdge;
let production: LocalEdge;

beforeAll(async () => {
  [local, production] = await Promise.all([startEdge(), startEdge({ entry: 'production' })]);
});

afterAll(async () => {
  await local?.dispose();
  await production?.dispose();
});

describe('scheduled', () => {
  test('/__scheduled?cron=…&time=… ticks every app with that time', async () => {
    const time = Date.UTC(2026, 10, 27, 10, 0, 0);
    const response = await fetch(new URL(`/__scheduled?cron=${encodeURIComponent('* * * * *')}&time=${time}`, local.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, cron: '* * * * *', scheduledTime: time });
    for (const app of ['shop', 'blog']) expect((await (await local.store(app)).status()).lastTick).toBe(time);
  });

  test('the runtime\'s own scheduled event does the same in the production entry', async () => {
    const worker = await production.mf.getWorker();
    const time = Date.UTC(2026, 10, 27, 10, 1, 0);
    const result = await worker.scheduled({ cron: '* * * * *', scheduledTime: new Date(time) });
    expect(result.outcome).toBe('ok');
    expect((await (await production.store('shop')).status()).lastTick).toBe(time);
    expect((await fetch(new URL('/__scheduled', production.url))).status).toBe(404);
  });
});
