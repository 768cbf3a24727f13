// The first profile's CPU % covers the process's life so far, not the microseconds since the
// profiler was built, and no profile claims more than every core busy.
import { describe, expect, test } from 'bun:test';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { SystemProfile } from '../../src/core/wire-format.ts';
import { SystemProfiler } from '../../src/plugin/runtime/system-profiler.ts';
import { REPO } from './support/app-process.ts';
import { testRecorder } from './support/recorder.ts';

interface FirstProfile {
  cpuPercent: number;
  cpuMicros: number;
  wallMs: number;
}

async function firstProfileOfIdleProcess(): Promise<FirstProfile> {
  const child = Bun.spawn([process.execPath, join('test', 'plugin', 'fixtures', 'first-profile.ts')], {
    cwd: REPO,
    env: { ...process.env, IDLE_MS: '300' },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    const out = await new Response(child.stdout).text();
    expect(await child.exited).toBe(0);
    return JSON.parse(out) as FirstProfile;
  } finally {
    clearTimeout(timeout);
  }
}

describe('SystemProfiler CPU %', () => {
  test('the first profile of a process idle at start is its CPU time since start over its wall time since start', async () => {
    const first = await firstProfileOfIdleProcess();
    // The child's own cumulative CPU and clock, read right after the profile: a few µs of work apart.
    const expected = (first.cpuMicros / 1000 / first.wallMs) * 100;
    expect(Math.abs(first.cpuPercent - expected)).toBeLessThan(5);
    expect(first.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(first.cpuPercent).toBeLessThanOrEqual(100 * availableParallelism());
  });

  test('profiles taken back to back never read more than every core busy', () => {
    const { recorder } = testRecorder();
    const profiles: SystemProfile[] = [];
    const profiler = new SystemProfiler(recorder, { interval: 60_000, onProfile: (p) => profiles.push(p) });
    for (let i = 0; i < 2_000; i++) profiler.sample();
    const worst = Math.max(...profiles.map((p) => p.cpuPercent));
    expect(worst).toBeLessThanOrEqual(100 * availableParallelism());
  });
});
