// Overload: past the app's ingest rate limit the edge answers 503 with Retry-After and stores
// nothing; the retried batch is then stored once. Runtime overload errors map the same way.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { HttpError } from '../../src/edge/http/errors.ts';
import { storeFailure } from '../../src/edge/store-errors.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, eventually, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';

let edge: LocalEdge;

const RATE = 100;

/** A batch of `events` events (`events` - 3 samples, 2 cells, 1 profile, no spans). */
function batchOf(events: number): any {
  const batch = makeBatch(Date.now());
  return { ...batch, spans: [], samples: Array.from({ length: events - 3 }, (_, i) => ({ ...batch.samples[0]!, path: `/users/${i}` })) };
}

/**
 * The Retry-After values a token bucket of RATE events/s may answer to a batch `shortfall` tokens
 * short when the last batch was taken, `elapsedMs` after that (a range: the test knows the times
 * only to within its requests): the whole seconds until the refill covers what is still short, at
 * least 1.
 */
function retryAfterWithin(shortfall: number, elapsedMs: { min: number; max: number }): string[] {
  const at = (ms: number) => Math.max(1, Math.ceil((shortfall - (ms / 1000) * RATE) / RATE));
  const values: string[] = [];
  for (let seconds = at(elapsedMs.max); seconds <= at(elapsedMs.min); seconds++) values.push(String(seconds));
  return values;
}

beforeAll(async () => {
  edge = await startEdge({ bindings: { INGEST_RATE_LIMIT: String(RATE) } });
});

afterAll(async () => {
  await edge?.dispose();
});

describe('overload', () => {
  test('past the rate limit: 503, Retry-After, nothing stored; the retry is stored once', async () => {
    // 180 events pass on the full bucket (a batch larger than a second's worth needs only that)
    // and leave it 80 in debt: the next 80 events wait for 160 tokens, 1.6 s of refill. (With 80
    // and 80, 0.6 s of refill sufficed, less than the export below may take on a loaded machine.)
    const firstSent = Date.now();
    await ingestOk(edge, batchOf(180));
    const firstAnswered = Date.now();
    const before = await storedRecords(edge);
    const second = batchOf(80);
    const secondSent = Date.now();
    const refused = await ingest(edge, second);
    const secondAnswered = Date.now();
    expect(refused.status).toBe(503);
    // Whole seconds until the 160 tokens (80 owed, 80 needed): 2 within 0.6 s of the first batch, then 1.
    const expected = retryAfterWithin(80 + 80, { min: secondSent - firstAnswered, max: secondAnswered - firstSent });
    const retryAfter = refused.headers.get('retry-after');
    expect(expected).toContain(retryAfter!);
    expect(((await refused.json()) as any).error).toEqual({ code: 'rate_limited', message: `this app is past its ingest rate limit of 100 events/s; retry after ${retryAfter} s` });
    expect(await storedRecords(edge)).toEqual(before);
    // The sender retries the same batch, honouring Retry-After (accepted 1.6 s after the first batch).
    const accepted = await eventually(async () => ((await ingest(edge, second)).status === 202 ? true : undefined), 10_000, 'the retry to be accepted');
    expect(accepted).toBe(true);
    // A duplicate is answered even while the limit holds, and never counted twice.
    expect((await ingest(edge, second)).status).toBe(200);
    expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows.samples).toBe(177 + 77);
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
