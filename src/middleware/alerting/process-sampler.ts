// Gauges of this process for memoryUsage/cpuUsage/eventLoopLag rules when nothing else feeds them:
// read on each evaluation tick (RSS, CPU % since the previous tick, and how late the tick's timer
// fired, which is how long the event loop was busy).

export interface ProcessGauges {
  rss: number;
  cpuPercent: number;
  eventLoopLagMs: number;
}

export class ProcessSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  /** @param expectedIntervalMs the period of the timer that calls sample(); its lateness is the lag. */
  constructor(private readonly expectedIntervalMs: number) {}

  sample(): ProcessGauges {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elapsedMs = now - this.lastAt;
    const usedMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const gauges = {
      rss: process.memoryUsage.rss(),
      cpuPercent: elapsedMs > 0 ? Math.max(0, (usedMs / elapsedMs) * 100) : 0,
      eventLoopLagMs: Math.max(0, elapsedMs - this.expectedIntervalMs),
    };
    this.lastCpu = cpu;
    this.lastAt = now;
    return gauges;
  }
}
