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

/** A batch of 10 s by process `pid` of a shared instance, received at the end of its window plus `late` ms. */
function sendAs(s: ReturnType<typeof store>, pid: number, start: number, late = 50): number {
  const requests = Array.from({ length: 5 }, (_, i) => ({ time: start + i * 2 * SECOND, method: 'GET', route: '/a', status: 200, ms: 5, bytes: 10 }));
  const batch = batchOf(requests, { instance: 'web-1:shop', start, batchId: `p${pid}-${start}` });
  batch.window = { start, end: start + 10 * SECOND };
  batch.identity = { ...batch.identity, pid };
  const receivedAt = batch.window.end + late;
  expect(s.ingest(batch, receivedAt).status).toBe('accepted');
  return receivedAt;
}

test('processes started apart that share an instance: the horizon waits for the one that reported least far, not the latest batch (a review: live read 1,757 where the window came to 1,794)', () => {
  const s = store({ log: false });
  // Three processes flushing 3.3 s apart, each every 10 s.
  sendAs(s, 101, T0);
  sendAs(s, 102, T0 + 3_300);
  const last = sendAs(s, 103, T0 + 6_600);
  // Was: the instance's latest batch, T0 + 16.6 s, with two of its processes not there yet.
  expect(liveHorizon(s.sql, last + SECOND)).toBe(T0 + 10 * SECOND);
  // The first process's next batch moves the horizon to the second's.
  const next = sendAs(s, 101, T0 + 10 * SECOND);
  expect(liveHorizon(s.sql, next + SECOND)).toBe(T0 + 13_300);
  // A process that stopped (a restart: a new pid from then on) holds nothing back once its next batch is overdue.
  let now = next;
  for (let i = 1; i <= 4; i++) now = sendAs(s, 104, T0 + 10 * SECOND + i * 10 * SECOND);
  sendAs(s, 102, T0 + 43_300);
  sendAs(s, 103, T0 + 46_600);
  // pid 101 is overdue; of the others, 102's batch ends first.
  expect(liveHorizon(s.sql, now + SECOND)).toBe(T0 + 53_300);
});

test('an instance whose many processes come and go keeps the latest few, each stored figure read back as it was written', () => {
  const s = store({ log: false });
  let now = 0;
  for (let pid = 1; pid <= 20; pid++) now = sendAs(s, pid, T0 + pid * SECOND);
  const stored = s.sql.exec<{ processes: string }>('SELECT processes FROM instances WHERE instance = ?', 'web-1:shop').one().processes;
  const pids = (JSON.parse(stored) as number[][]).map(([pid]) => pid);
  expect(pids).toEqual([20, 19, 18, 17, 16, 15, 14, 13]);
  // The slowest still due (pid 13's batch ends at T0 + 23 s).
  expect(liveHorizon(s.sql, now)).toBe(T0 + 23 * SECOND);
});

test('a stored process list that does not read (damaged, or from a hand) is left out: the instance is judged by its own figures', () => {
  for (const damaged of ['{"not":"a list"}', '[[1,2,3]]', '[["1",0,0,0,0]]', 'x'.repeat(5000), '[[1,0,1e400,5,0]]']) {
    const s = store({ log: false });
    const received = sendAs(s, 7, T0);
    s.sql.exec('UPDATE instances SET processes = ? WHERE instance = ?', damaged, 'web-1:shop');
    expect({ damaged, horizon: liveHorizon(s.sql, received + SECOND) }).toEqual({ damaged, horizon: T0 + 10 * SECOND });
    // The next batch writes a list that reads again.
    sendAs(s, 7, T0 + 10 * SECOND);
    expect(s.sql.exec<{ processes: string }>('SELECT processes FROM instances WHERE instance = ?', 'web-1:shop').one().processes).toBe(JSON.stringify([[7, T0 + 10 * SECOND, T0 + 20 * SECOND, 5, T0 + 20 * SECOND + 50]]));
  }
});
