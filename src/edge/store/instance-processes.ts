// How far each process of an instance has reported. Processes of one app on one host started apart
// share an instance (README); the instance's own figures are its latest batch's, so the live
// horizon took the fastest process's batch for the whole instance and showed windows its other
// processes had not reported yet (a review: 1,757 live, 1,794 once complete). Kept per process id,
// the latest few, in the instance's row.

/** One process's latest batch window, the requests it counted, and when that batch came. */
export interface ProcessReport {
  pid: number;
  from: number;
  until: number;
  requests: number;
  lastSeen: number;
}

/** Processes kept per instance, the most recently seen: a restart adds one, a fleet on one name more. */
export const MAX_PROCESSES = 8;
/** Batches without a pid (clients before it) as one process. */
export const NO_PID = -1;

/** The stored list, read defensively: anything malformed in it is left out. */
export function processesOf(text: string | null): ProcessReport[] {
  if (text === null || text.length > 4096) return [];
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const out: ProcessReport[] = [];
  for (const row of rows.slice(0, MAX_PROCESSES)) {
    if (!Array.isArray(row) || row.length !== 5 || !row.every((n) => typeof n === 'number' && Number.isFinite(n))) continue;
    const [pid, from, until, requests, lastSeen] = row as number[];
    out.push({ pid: pid!, from: from!, until: until!, requests: requests!, lastSeen: lastSeen! });
  }
  return out;
}

/** The stored list with `updates` taken in (a later window of a process replaces its earlier one), as stored. */
export function mergedProcesses(stored: string | null, updates: Iterable<ProcessReport>): string {
  const byPid = new Map(processesOf(stored).map((report) => [report.pid, report]));
  for (const update of updates) {
    const known = byPid.get(update.pid);
    if (known === undefined || update.until >= known.until) byPid.set(update.pid, { ...update, lastSeen: Math.max(update.lastSeen, known?.lastSeen ?? 0) });
    else known.lastSeen = Math.max(known.lastSeen, update.lastSeen);
  }
  const kept = [...byPid.values()].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, MAX_PROCESSES);
  return JSON.stringify(kept.map(({ pid, from, until, requests, lastSeen }) => [pid, from, until, requests, lastSeen]));
}
