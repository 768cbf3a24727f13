// The profiler reads the process, not a guess: CPU % follows real work, event-loop lag follows a
// real block, and the recorder's latest profile is the one handed on.
import { describe, expect, test } from 'bun:test';
import type { SystemProfile } from '../../src/core/wire-format.ts';
import { SystemProfiler } from '../../src/plugin/runtime/system-profiler.ts';
import { testRecorder } from './support/recorder.ts';
import { waitFor } from './support/wait-for.ts';

describe('SystemProfiler', () => {
  test('memory, CPU % of busy work, the lag of a blocked loop, and requests in flight', async () => {
    const { recorder } = testRecorder();
    const profiles: SystemProfile[] = [];
    const profiler = new SystemProfiler(recorder, { interval: 60_000, lagProbeMs: 10, onProfile: (p) => profiles.push(p) });
    profiler.start();
    // The test's own clock and CPU reading, taken right after the first profile: what the busy profile must agree with.
    const cpuAtStart = process.cpuUsage();
    const wallAtStart = performance.now();
    try {
      expect(recorder.latestProfile).toBe(profiles[0]!);
      expect(profiles[0]!.rss).toBeGreaterThan(1_000_000);
      expect(profiles[0]!.heapUsed).toBeGreaterThan(0); // JSC can report heapUsed above heapTotal: no relation asserted
      expect(profiles[0]!.heapTotal).toBeGreaterThan(0);
      recorder.begin(new Request('http://h/in-flight'));
      const busyUntil = performance.now() + 120;
      while (performance.now() < busyUntil); // blocks the event loop and burns CPU: what is measured
      expect(await waitFor(() => profiler.lagSinceLastProfile > 60 || undefined, 2_000)).toBe(true);
      const busy = profiler.sample()!;
      const used = process.cpuUsage(cpuAtStart);
      const expected = ((used.user + used.system) / 1000 / (performance.now() - wallAtStart)) * 100;
      // Not a fixed floor: on a loaded machine the process waits for a core and its share falls; the
      // profiler must agree with what the process really got.
      expect(Math.abs(busy.cpuPercent - expected)).toBeLessThan(15);
      expect(busy.eventLoopLagMs).toBeGreaterThan(60);
      expect(busy.inFlight).toBe(1);
      expect(recorder.latestProfile).toBe(busy);
      await Bun.sleep(200);
      const idle = profiler.sample()!;
      expect(idle.cpuPercent).toBeLessThan(busy.cpuPercent / 2);
    } finally {
      profiler.stop();
    }
  });
});
