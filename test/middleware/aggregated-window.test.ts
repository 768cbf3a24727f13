// getAggregatedMetrics answers for the window asked, to the second it keeps: requests driven at a
// known pace, the window echoed, the count equal to the requests the test itself logged in it, and
// the rate that count over the time covered. The tiers it keeps (1 s, 10 s, minutes) lose nothing.
import { afterEach, describe, expect, test } from 'bun:test';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';
import { performanceMonitor } from '../../src/middleware/index.ts';
import { TieredCells } from '../../src/middleware/monitor/tiered-cells.ts';
import { Router } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
});

const UA = { kind: 'cli', family: 'curl' } as const;

describe('getAggregatedMetrics(timeWindow)', () => {
  test('10000 and 1: exactly the requests of the window it names, the rate over the time it covers', async () => {
    const monitor = performanceMonitor({ profiling: { enabled: false }, sampleRate: 0 });
    closers.push(monitor.close);
    const router = new Router().use(monitor);
    router.get('/ping', () => new Response('pong'));
    const RATE = 40;
    const SECONDS = 14;
    const sent: number[] = [];
    const start = Date.now();
    // Paced: request k goes at start + k / RATE seconds.
    for (let k = 0; k < RATE * SECONDS; k++) {
      const due = start + (k * 1000) / RATE;
      if (due > Date.now()) await Bun.sleep(due - Date.now());
      sent.push(Date.now());
      await router.fetch(new Request('http://app.test/ping'));
    }
    const ten = monitor.getAggregatedMetrics(10_000);
    expect(ten.timeWindow).toBe(10_000);
    expect(ten.resolutionMs).toBe(1000);
    expect(ten.to - 10_000 - ten.from).toBeGreaterThanOrEqual(0);
    expect(ten.to - 10_000 - ten.from).toBeLessThan(1000);
    // Logged send times and recorded start times differ by far less than a ms or two.
    const inWindow = sent.filter((t) => t >= ten.from && t < ten.to).length;
    expect(Math.abs(ten.count - inWindow)).toBeLessThanOrEqual(2);
    expect(ten.rps).toBeCloseTo(ten.count / ((ten.to - ten.from) / 1000), 12);
    // The rate is that of what the test sent in the window (to the 2 requests above), not the
    // nominal pace: a stall of this loop on a loaded machine moves requests out of the window or
    // bunches them in it. The pace is only roughly what the test asked.
    const seconds = (ten.to - ten.from) / 1000;
    expect(Math.abs(ten.rps - inWindow / seconds)).toBeLessThanOrEqual(2 / seconds);
    expect(Math.abs(ten.rps - RATE) / RATE).toBeLessThan(0.2);

    const one = monitor.getAggregatedMetrics(1);
    expect(one.to - one.from).toBeLessThanOrEqual(1000);
    expect(one.from % 1000).toBe(0);
    expect(Math.abs(one.count - sent.filter((t) => t >= one.from).length)).toBeLessThanOrEqual(2);
    expect(one.count).toBeLessThanOrEqual(RATE + 2);
    expect(one.rps).toBe(one.to > one.from ? one.count / ((one.to - one.from) / 1000) : 0);
  }, 30_000);

  test('seconds widen into 10 s and then minutes with age, every count kept; a window starts at the start of the cell holding it', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const cells = new TieredCells(24 * 3_600_000, 1_000_000);
    const times: number[] = [];
    // One request every 7 s for 2 hours.
    for (let t = t0; t < t0 + 2 * 3_600_000; t += 7_000) {
      cells.record(t, 'GET', '/a', times.length % 10 === 0 ? 500 : 200, 1 + (times.length % 50), 10, false, UA);
      times.push(t);
    }
    const n = times.length;
    const now = t0 + 2 * 3_600_000;
    const count = (from: number) => cells.cells(from).reduce((sum, c) => sum + c.count, 0);
    expect(count(-Infinity)).toBe(n);
    const statusTotal = cells.counts().reduce((sum, w) => sum + [...w.statusCodes.values()].reduce((a, b) => a + b, 0), 0);
    expect(statusTotal).toBe(n);
    // Under 5 minutes old: to the second.
    expect(cells.windowAt(now - 100_000 + 500)).toEqual({ start: now - 100_000, widthMs: 1000 });
    // 20 minutes old: to 10 s; 90 minutes: to the minute.
    const tenSeconds = cells.windowAt(now - 20 * 60_000 + 3_000);
    expect(tenSeconds.widthMs).toBe(10_000);
    const minute = cells.windowAt(now - 90 * 60_000 + 3_000);
    expect(minute).toEqual({ start: now - 90 * 60_000, widthMs: 60_000 });
    // The cells of a window are exactly the requests from its start.
    for (const from of [tenSeconds.start, minute.start, now - 100_000]) {
      expect(count(from)).toBe(times.filter((t) => t >= from).length);
    }
  });
});

test('a window past retention (Infinity, 10^15 ms) is the whole of retention: every request kept, at the rate over it', async () => {
  const retention = 60_000;
  const monitor = performanceMonitor({ profiling: { enabled: false }, sampleRate: 0, retention: { maxAgeMs: retention } });
  closers.push(monitor.close);
  const router = new Router().use(monitor);
  router.get('/ping', () => new Response('pong'));
  for (let k = 0; k < 250; k++) await router.fetch(new Request('http://app.test/ping'));
  for (const asked of [Number.POSITIVE_INFINITY, 1e15, retention]) {
    const all = monitor.getAggregatedMetrics(asked);
    expect(all.timeWindow).toBe(retention);
    expect(all.count).toBe(250);
    expect(Number.isFinite(all.from)).toBe(true);
    expect(all.rps).toBeCloseTo(250 / ((all.to - all.from) / 1000), 12);
  }
});

test('a window that is not a number of ms ≥ 0 is refused, naming what it got (a NaN, −1 or "60000" had read as some window)', () => {
  const monitor = performanceMonitor({ profiling: { enabled: false }, sampleRate: 0 });
  closers.push(monitor.close);
  expect(() => monitor.getAggregatedMetrics(Number.NaN)).toThrow('getAggregatedMetrics: expected timeWindow in ms, a number ≥ 0 (Infinity: all that is kept), got NaN');
  expect(() => monitor.getAggregatedMetrics(-1)).toThrow('got -1');
  expect(() => monitor.getAggregatedMetrics('60000' as unknown as number)).toThrow('got string "60000"');
  expect(monitor.getAggregatedMetrics(0).count).toBe(0);
});
