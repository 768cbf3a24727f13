// Takes a system profile every `interval`: RSS, heap, CPU % since the last profile (the first one:
// since the process started), event-loop lag (the worst timer delay seen since then) and requests in
// flight. The only place that asks the OS: requests read the latest profile from the recorder.
import type { SystemProfile } from '../../core/wire-format.ts';
import type { Recorder } from './recorder.ts';
import { unref } from './unref.ts';
import { wallClock } from './wall-clock.ts';

export interface SystemProfilerOptions {
  interval: number;
  /** How often the event-loop lag probe wakes, ms (default 250). */
  lagProbeMs?: number;
  onProfile: (profile: SystemProfile) => void;
}

export class SystemProfiler {
  readonly #recorder: Recorder;
  readonly #options: SystemProfilerOptions;
  // process.cpuUsage() counts from process start, so the first profile measures from there too: a
  // baseline taken in the constructor would leave start()'s profile a window of microseconds.
  #lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  #lastAt = performance.now() - process.uptime() * 1000;
  #maxLag = 0;
  #probeAt = 0;
  #timers: Array<ReturnType<typeof setInterval>> = [];

  constructor(recorder: Recorder, options: SystemProfilerOptions) {
    this.#recorder = recorder;
    this.#options = options;
  }

  /** The worst event-loop lag seen since the last profile, ms. */
  get lagSinceLastProfile(): number {
    return this.#maxLag;
  }

  start(): void {
    if (this.#timers.length > 0) return;
    const probeMs = this.#options.lagProbeMs ?? 250;
    this.#probeAt = performance.now();
    // A timer that fires late by X ms means the loop was busy for X ms: that delay is the lag.
    this.#timers.push(unref(setInterval(() => {
      const now = performance.now();
      const lag = Math.max(0, now - this.#probeAt - probeMs);
      if (lag > this.#maxLag) this.#maxLag = lag;
      this.#probeAt = now;
    }, probeMs)));
    this.#timers.push(unref(setInterval(() => this.sample(), this.#options.interval)));
    this.sample(); // detail records have memory and CPU from the first request on
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /** Takes one profile now, hands it on and makes it the recorder's latest. */
  sample(): SystemProfile | undefined {
    try {
      const now = performance.now();
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      const cpuPercent = cpuPercentOver(this.#lastCpu, cpu, (now - this.#lastAt) * 1000);
      this.#lastCpu = cpu;
      this.#lastAt = now;
      this.#recorder.wallOffset = wallClock.follow();
      const profile: SystemProfile = {
        timestamp: Date.now(),
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        cpuPercent: Math.round(cpuPercent * 100) / 100,
        eventLoopLagMs: Math.round(this.#maxLag * 100) / 100,
        inFlight: Math.max(0, this.#recorder.inFlight),
      };
      this.#maxLag = 0;
      this.#recorder.latestProfile = profile;
      this.#options.onProfile(profile);
      return profile;
    } catch {
      return undefined; // a profile missed is a gap in a chart, not a reason to bother the app
    }
  }
}

/** Cores available (navigator rather than node:os, which once loaded stays in the app's heap: identity.ts). */
const CORES = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);

/**
 * CPU time used between two readings as a % of one core over `elapsedMicros`. Capped at every core
 * busy: in a window too short to measure, other threads' CPU time rounds into absurd figures.
 */
function cpuPercentOver(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage, elapsedMicros: number): number {
  if (elapsedMicros <= 0) return 0;
  const usedMicros = to.user - from.user + (to.system - from.system);
  return Math.min(100 * CORES, Math.max(0, (usedMicros / elapsedMicros) * 100));
}
