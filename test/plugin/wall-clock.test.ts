// The offset from performance.now() to wall time. A review saw spans of two services on one host out
// of order by up to a millisecond: each process took its offset from one Date.now() reading (whole
// milliseconds, read after the profile's other reads) at each profile. The offset is now
// performance.timeOrigin, exact to the microsecond, while the clock agrees with it; after a step,
// within a millisecond of the clock.
import { afterEach, expect, setSystemTime, test } from 'bun:test';
import { WallClock } from '../../src/plugin/runtime/wall-clock.ts';

afterEach(() => setSystemTime());

/**
 * The first test in a process of its own, just started: its premise is a clock that agrees with
 * timeOrigin (no step since the process began), which a test run of ten minutes in one process,
 * the clock slewed meanwhile, had not kept (a fresh clone's run failed so).
 */
const FRESH_PROCESS = `
import { SystemProfiler } from ${JSON.stringify(`${import.meta.dir}/../../src/plugin/runtime/system-profiler.ts`)};
import { testRecorder } from ${JSON.stringify(`${import.meta.dir}/support/recorder.ts`)};
const before = performance.now();
const wall = Date.now();
const after = performance.now();
const agrees = performance.timeOrigin >= wall - after && performance.timeOrigin <= wall + 1 - before;
const { recorder } = testRecorder();
const profiler = new SystemProfiler(recorder, { interval: 60_000, onProfile: () => {} });
const offsets = new Set();
for (let i = 0; i < 50; i++) {
  profiler.sample();
  offsets.add(recorder.wallOffset);
  recorder.drain();
  offsets.add(recorder.wallOffset);
}
console.log(JSON.stringify({ agrees, offsets: [...offsets], origin: performance.timeOrigin }));
`;

test('while the clock agrees with timeOrigin, profiles and drains leave the recorder on timeOrigin: no jitter between readings', () => {
  const child = Bun.spawnSync([process.execPath, '-e', FRESH_PROCESS], { stdout: 'pipe', stderr: 'pipe' });
  expect(child.stderr.toString()).toBe('');
  const { agrees, offsets, origin } = JSON.parse(child.stdout.toString()) as { agrees: boolean; offsets: number[]; origin: number };
  expect(agrees).toBe(true);
  // Was: Date.now() − performance.now() at each profile, a different value up to a millisecond off each time.
  expect(offsets).toEqual([origin]);
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
