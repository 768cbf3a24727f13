// The memory of the workerd process a test started, from /proc (Linux): its resident set now, and
// its peak since the last reset, so a test can hold each batch to a memory budget.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** Pids of this process's workerd children. */
export function workerdChildren(): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const match = /^\d+ \((.*)\) \S (\d+)/.exec(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (match && match[1]!.startsWith('workerd') && Number(match[2]) === process.pid) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

export class WorkerdMemory {
  constructor(readonly pid: number) {}

  /** The workerd started between `before` (pids seen earlier) and now; null where /proc can't tell. */
  static started(before: number[]): WorkerdMemory | null {
    const fresh = workerdChildren().filter((pid) => !before.includes(pid));
    return fresh.length === 1 ? new WorkerdMemory(fresh[0]!) : null;
  }

  private field(name: 'VmRSS' | 'VmHWM'): number {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  }

  /** Resident bytes now. */
  rss(): number {
    return this.field('VmRSS');
  }

  /** Peak resident bytes since the last resetPeak (or the start). */
  peak(): number {
    return this.field('VmHWM');
  }

  /** Starts a new peak from the current resident set (Linux: `5` into clear_refs). */
  resetPeak(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Not allowed here: the peak then stays the peak since the start, still a bound.
    }
  }
}
