// Takes a system profile every `interval`: RSS, heap, CPU % since the last profile, event-loop lag
// (the worst timer delay seen since then) and requests in flight. The only place that asks the OS:
// requests read the latest profile from the recorder.
import type { SystemProfile } from '../../core/wire-format.ts';
import type { Recorder } from './recorder.ts';
import { unref } from './unref.ts';

export interface SystemProfilerOptions {
  interval: number;
  /** How often the event-loop lag probe wakes, ms (default 250). */
  lagProbeMs?: number;
  onProfile: (profile: SystemProfile) => void;
}

export class SystemProfiler {
  readonly #recorder: Recorder;
  readonly #options: SystemProfilerOptions;
  #lastCpu = process.cpuUsage();
  #lastAt = performance.now();
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
      const elapsedMicros = (now - this.#lastAt) * 1000;
      const usedMicros = cpu.user - this.#lastCpu.user + (cpu.system - this.#lastCpu.system);
      const cpuPercent = elapsedMicros > 0 ? Math.min(100_000, Math.max(0, (usedMicros / elapsedMicros) * 100)) : 0;
      this.#lastCpu = cpu;
      this.#lastAt = now;
      this.#recorder.wallOffset = Date.now() - now;
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
