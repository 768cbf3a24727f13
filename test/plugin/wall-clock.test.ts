// The offset from performance.now() to wall time. A review saw spans of two services on one host out
// of order by up to a millisecond: each process took its offset from one Date.now() reading (whole
// milliseconds, read after the profile's other reads) at each profile. The offset is now
// performance.timeOrigin, exact to the microsecond, while the clock agrees with it; after a step,
// within a millisecond of the clock.
import { afterEach, expect, setSystemTime, test } from 'bun:test';
import { SystemProfiler } from '../../src/plugin/runtime/system-profiler.ts';
import { WallClock } from '../../src/plugin/runtime/wall-clock.ts';
import { testRecorder } from './support/recorder.ts';

afterEach(() => setSystemTime());

/** Whether Date.now() agrees with timeOrigin now (no step since this process started), as it must for the first test's premise. */
function clockAgrees(): boolean {
  const before = performance.now();
  const wall = Date.now();
  const after = performance.now();
  return performance.timeOrigin >= wall - after && performance.timeOrigin <= wall + 1 - before;
}

test('while the clock agrees with timeOrigin, profiles and drains leave the recorder on timeOrigin: no jitter between readings', () => {
  expect(clockAgrees()).toBe(true);
  const { recorder } = testRecorder();
  const profiler = new SystemProfiler(recorder, { interval: 60_000, onProfile: () => {} });
  const offsets = new Set<number>();
  for (let i = 0; i < 50; i++) {
    profiler.sample();
    offsets.add(recorder.wallOffset);
    recorder.drain();
    offsets.add(recorder.wallOffset);
  }
  // Was: Date.now() − performance.now() at each profile, a different value up to a millisecond off each time.
  expect([...offsets]).toEqual([performance.timeOrigin]);
});

test('after the clock steps, the offset follows it to within a millisecond', () => {
  const clock = new WallClock();
  const stepped = Date.now() + 8_000;
  setSystemTime(new Date(stepped)); // Bun holds Date.now() still at this time
  for (let i = 0; i < 20; i++) {
    const offset = clock.follow();
    const now = performance.now();
    expect(Math.abs(offset + now - stepped)).toBeLessThanOrEqual(1);
  }
  setSystemTime();
  const offset = clock.follow();
  expect(Math.abs(offset + performance.now() - Date.now())).toBeLessThanOrEqual(1);
});
