// Decoded and merged latency sketches kept from one evaluation tick to the next, so that a tick
// decodes only the minutes that are new or changed since the last one. Entries are keyed by the
// cell's content signature (count, duration sum): a late batch merged into a cell changes its
// signature and the stale entry is simply never read again.
import type { QuantileSketch } from '../sketch.ts';

export class SketchCache {
  private readonly byMinute = new Map<number, Map<string, QuantileSketch>>();

  /** @param maxMinutes bound on the minutes kept (default 25 h); the oldest go first. */
  constructor(private readonly maxMinutes = 1500) {}

  get(minute: number, key: string): QuantileSketch | undefined {
    return this.byMinute.get(minute)?.get(key);
  }

  /** The sketch must not be changed afterwards: every later tick reads it. */
  set(minute: number, key: string, sketch: QuantileSketch): void {
    let entries = this.byMinute.get(minute);
    if (entries === undefined) {
      this.byMinute.set(minute, (entries = new Map()));
      if (this.byMinute.size > this.maxMinutes) this.prune(Math.min(...this.byMinute.keys()) + 1);
    }
    entries.set(key, sketch);
  }

  /** Forgets minutes before `since` (pass requiredSince(rules, now) once per tick). */
  prune(since: number): void {
    for (const minute of this.byMinute.keys()) if (minute < since) this.byMinute.delete(minute);
  }

  get minutes(): number {
    return this.byMinute.size;
  }
}
