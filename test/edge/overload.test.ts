// Overload: past the app's ingest rate limit the edge answers 503 with Retry-After and stores
// nothing; the retried batch is then stored once. Runtime overload errors map the same way.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { HttpError } from '../../src/edge/http/errors.ts';
import { storeFailure } from '../../src/edge/store-errors.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, eventually, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';

let edge: LocalEdge;

/** A batch of 80 events (77 samples, 2 cells, 1 profile, no spans). */
function eightyEvents(): any {
  const batch = makeBatch(Date.now());
  return { ...batch, spans: [], samples: Array.from({ length: 77 }, (_, i) => ({ ...batch.samples[0]!, path: `/users/${i}` })) };
}

beforeAll(async () => {
  edge = await startEdge({ bindings: { INGEST_RATE_LIMIT: '100' } });
});

afterAll(async () => {
  await edge?.dispose();
});

describe('overload', () => {
  test('past the rate limit: 503, Retry-After, nothing stored; the retry is stored once', async () => {
    await ingestOk(edge, eightyEvents());
    const before = await storedRecords(edge);
    const second = eightyEvents();
    const refused = await ingest(edge, second);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as any).error).toEqual({ code: 'rate_limited', message: 'this app is past its ingest rate limit of 100 events/s; retry after 1 s' });
    expect(await storedRecords(edge)).toEqual(before);
    // The sender retries the same batch, honouring Retry-After.
    const accepted = await eventually(async () => ((await ingest(edge, second)).status === 202 ? true : undefined), 5_000, 'the retry to be accepted');
    expect(accepted).toBe(true);
    // A duplicate is answered even while the limit holds, and never counted twice.
    expect((await ingest(edge, second)).status).toBe(200);
    expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows.samples).toBe(154);
  });

  test("the runtime's overloaded and retryable errors become 503 with Retry-After; others 500", () => {
    const overloaded = storeFailure(Object.assign(new Error('Durable Object is overloaded. Too many requests queued.'), { overloaded: true, retryable: true }), 'shop');
    expect(overloaded).toBeInstanceOf(HttpError);
    expect([overloaded.status, overloaded.code, overloaded.headers['retry-after']]).toEqual([503, 'overloaded', '10']);
    const transient = storeFailure(Object.assign(new Error('Network connection lost.'), { retryable: true }), 'shop');
    expect([transient.status, transient.code, transient.headers['retry-after']]).toEqual([503, 'unavailable', '1']);
    const broken = storeFailure(new TypeError('boom'), 'shop');
    expect([broken.status, broken.code, broken.message]).toEqual([500, 'store_error', 'the store of this app failed; nothing was changed']);
  });
});
