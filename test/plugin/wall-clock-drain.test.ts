// Wall times follow the system clock at each drain, not only at profiles: with profiling off (or
// the in-process monitor's own recorder, which has no profiler) a process's rollups stayed on the
// clock of its start after the clock stepped (a VM paused, NTP).
import { afterEach, expect, setSystemTime, test } from 'bun:test';
import { testRecorder } from './support/recorder.ts';

afterEach(() => setSystemTime());

test('after the clock steps an hour ahead, the first drain moves the next requests to the new time', () => {
  const { recorder } = testRecorder();
  const stepped = Date.now() + 3_600_000;
  setSystemTime(new Date(stepped));
  recorder.drain();
  const state = recorder.begin(new Request('http://app.test/users/7'))!;
  recorder.respond(state, new Response('ok'));
  const [cell] = recorder.drain().rollups;
  // Was: the cell an hour behind (the offset taken at the recorder's start).
  expect(cell!.minute).toBeGreaterThanOrEqual(Math.floor(stepped / 60_000) * 60_000);
  expect(cell!.minute).toBeLessThan(stepped + 60_000);
});
