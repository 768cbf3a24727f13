// The live horizon (what alert evaluation and the live tiles wait for) judges whether an instance
// still sends by when its batches come, on the store's clock: an instance whose own clock ran 90 s
// behind had been taken for stopped, each minute evaluated before its data came, and its errors
// never alerted (a review). A clock more than 5 minutes behind is not waited for.
import { expect, test } from 'bun:test';
import { liveHorizon, MAX_HORIZON_LAG_MS } from '../../../src/edge/store/live.ts';
import { batchOf, store, T0 } from './fixture.ts';

const SECOND = 1_000;

/** One batch of 10 s of requests by the instance's clock, received `behind` ms later by the store's. */
function sendBehind(s: ReturnType<typeof store>, instance: string, start: number, behind: number): number {
  const requests = Array.from({ length: 5 }, (_, i) => ({ time: start + i * 2 * SECOND, method: 'GET', route: '/a', status: 500, ms: 5, bytes: 10 }));
  const batch = batchOf(requests, { instance, start });
  batch.window = { start, end: start + 10 * SECOND };
  const receivedAt = batch.window.end + behind;
  expect(s.ingest(batch, receivedAt).status).toBe('accepted');
  return receivedAt;
}

test('an instance whose clock runs 90 s behind is waited for: the horizon is where its data ends', () => {
  const s = store({ log: false });
  const received = sendBehind(s, 'slow-clock:1', T0, 90 * SECOND);
  // Was: the store's now, as if the instance had stopped.
  expect(liveHorizon(s.sql, received + SECOND)).toBe(T0 + 10 * SECOND);
});

test('an instance that stopped sending holds nothing back, however its clock ran', () => {
  const s = store({ log: false });
  const received = sendBehind(s, 'gone:1', T0, 90 * SECOND);
  const later = received + 60 * SECOND;
  expect(liveHorizon(s.sql, later)).toBe(later);
});

test('a clock further behind than the bound is not waited for: the others\' horizon stays where their data ends', () => {
  const s = store({ log: false });
  sendBehind(s, 'far-behind:1', T0, MAX_HORIZON_LAG_MS + 60 * SECOND);
  const received = sendBehind(s, 'in-step:1', T0 + MAX_HORIZON_LAG_MS + 60 * SECOND, 50);
  // Was (in the diff's first form): held at now − 5 min for as long as the far-behind instance sent.
  expect(liveHorizon(s.sql, received + SECOND)).toBe(T0 + MAX_HORIZON_LAG_MS + 70 * SECOND);
});

test('an instance in step with the store is waited for as before', () => {
  const s = store({ log: false });
  const received = sendBehind(s, 'in-step:1', T0, 50);
  expect(liveHorizon(s.sql, received + 5 * SECOND)).toBe(T0 + 10 * SECOND);
  expect(liveHorizon(s.sql, received + 30 * SECOND)).toBe(received + 30 * SECOND);
});
