// Memory for detail records when no system profile is at hand: read at most once a second.
export class MemoryGauge {
  #at = -Infinity;
  #value = { rss: 0, heapUsed: 0, heapTotal: 0 };

  read(now: number): { rss: number; heapUsed: number; heapTotal: number } {
    if (now - this.#at >= 1000) {
      try {
        const { rss, heapUsed, heapTotal } = process.memoryUsage();
        this.#value = { rss, heapUsed, heapTotal };
      } catch {
        // keep the last reading
      }
      this.#at = now;
    }
    return this.#value;
  }
}
