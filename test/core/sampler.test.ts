// The adaptive sampler on an injected clock: a cap per second whatever the traffic, the whole rate
// for a hot route alone, and a reserve that a hot route cannot take from a rare one.
import { describe, expect, test } from 'bun:test';
import { RateSampler, type RouteTokens } from '../../src/core/sampler.ts';

const route = (): RouteTokens => ({ recentUntil: -Infinity });

describe('RateSampler', () => {
  test('hammered for 10 s at 1 request/ms, 10/s keeps the starting burst plus 10 per second', () => {
    const sampler = new RateSampler(10);
    let taken = 0;
    for (let now = 0; now < 10_000; now++) if (sampler.take(now)) taken++;
    // burst (10, a full bucket at start) + one token every 100 ms after the first tokens are spent
    expect(taken).toBeGreaterThanOrEqual(10 + 99);
    expect(taken).toBeLessThanOrEqual(10 + 100);
    expect(sampler.refused).toBe(10_000 - taken);
  });

  test('a quiet app keeps everything; 0 per second keeps nothing', () => {
    const sampler = new RateSampler(10);
    let taken = 0;
    for (let now = 0; now < 60_000; now += 250) if (sampler.take(now)) taken++; // 4 requests/s
    expect(taken).toBe(240);
    const none = new RateSampler(0);
    for (let now = 0; now < 1000; now++) expect(none.take(now)).toBe(false);
  });

  test('a hot route alone still gets the whole rate', () => {
    const sampler = new RateSampler(10);
    const hot = route();
    let taken = 0;
    for (let now = 0; now < 20_000; now++) if (sampler.take(now, hot)) taken++;
    expect(taken).toBeGreaterThanOrEqual(200 - 1);
    expect(taken).toBeLessThanOrEqual(200 + 10);
  });

  test('fairness: a rare route beside a hot one keeps its detail; without it, the hot route takes all', () => {
    const run = (fair: boolean) => {
      const sampler = new RateSampler(10);
      const hot = route();
      const rare = route();
      let rareTaken = 0;
      let hotTaken = 0;
      for (let now = 0; now < 30_000; now++) {
        if (sampler.take(now, fair ? hot : undefined)) hotTaken++;
        if (now % 2_000 === 1_000 && sampler.take(now, fair ? rare : undefined)) rareTaken++; // one request every 2 s
      }
      return { rareTaken, hotTaken };
    };
    const fair = run(true);
    expect(fair.rareTaken).toBe(15); // every one of its 15 requests
    expect(fair.hotTaken + fair.rareTaken).toBeLessThanOrEqual(10 + 300); // still within the cap
    expect(run(false).rareTaken).toBeLessThan(3);
  });

  test('a token given back is taken by the next request, and only that one', () => {
    const sampler = new RateSampler(1, 2);
    expect([sampler.take(0), sampler.take(0), sampler.take(0)]).toEqual([true, true, false]);
    sampler.giveBack(); // the last request turned out not to need it (the dashboard's own)
    expect([sampler.take(1), sampler.take(1)]).toEqual([true, false]);
    expect([sampler.take(999), sampler.take(1000), sampler.take(1000)]).toEqual([false, true, false]);
  });

  test('bad settings are refused at creation', () => {
    expect(() => new RateSampler(-1)).toThrow('per second');
    expect(() => new RateSampler(Number.NaN)).toThrow('per second');
    expect(() => new RateSampler(5, 0)).toThrow('burst');
  });
});
