// The monitors' storages, process-wide: what a PerformanceMonitor's file or custom storage still
// holds is handed on at the end of the process. Under the preload its shutdown does it (awaited at
// a signal, beforeExit or the last server stopped, within its budget; synchronously at exit); with
// the middleware alone, one pair of listeners (beforeExit, exit) per process does — never a signal
// listener, as the app owns its signals there.
import type { Log } from './log.ts';
import { slot } from './registry.ts';

/** A storage that hands records on: its part in the end of the process. */
export interface ExitStorage {
  /** Hands on everything pending and resolves once written or given up. Never rejects. */
  flush(): Promise<void>;
  /** Records pending or being handed on right now: what the end would lose if it came now. */
  unfinished(): number;
  /**
   * At exit, synchronously: writes what can be written without the event loop. Returns the records
   * left behind that the storage's own sink could not be given (a custom handler: every one pending).
   */
  writeAtExit(): number;
}

interface ExitStorages {
  storages: Map<ExitStorage, Log>;
  /** The preload's shutdown takes the end of the process: the middleware's listeners stand aside. */
  preloadEnds: boolean;
  fallbackInstalled: boolean;
}

const state = slot('exitStorages', (): ExitStorages => ({ storages: new Map(), preloadEnds: false, fallbackInstalled: false }));

/** Said once, when records are left at exit that no handler was given; never their contents. */
export function leftAtExit(records: number): string {
  return `at exit, ${records} performanceMonitor record(s) not handed to storage.customHandler, which cannot run at process.exit(): await monitor.close() before exiting to keep them`;
}

/** A monitor's storage, from its creation until its close(); `log` speaks for it when the preload does not run. */
export function registerExitStorage(storage: ExitStorage, log: Log): () => void {
  state.storages.set(storage, log);
  installFallback();
  return () => void state.storages.delete(storage);
}

/** Every storage's flush, awaited together. Never rejects. */
export function flushExitStorages(): Promise<void> {
  return Promise.all([...state.storages.keys()].map((storage) => storage.flush().catch(() => {}))).then(() => {});
}

/** Records of all storages pending or being handed on. */
export function unfinishedInExitStorages(): number {
  let sum = 0;
  for (const storage of state.storages.keys()) sum += safely(() => storage.unfinished());
  return sum;
}

/** At exit: every storage writes what it can synchronously; returns the records no handler was given. */
export function writeExitStorages(): number {
  let left = 0;
  for (const storage of state.storages.keys()) left += safely(() => storage.writeAtExit());
  return left;
}

/** Whether the preload's shutdown takes the end of the process (the middleware's own exits stand aside). */
export function preloadEnds(): boolean {
  return state.preloadEnds;
}

/** The preload's shutdown takes over the end (true) or gives it back (false). */
export function setPreloadEnds(ends: boolean): void {
  state.preloadEnds = ends;
}

function safely(count: () => number): number {
  try {
    return count();
  } catch {
    return 0; // a storage that fails at the end must not stop the others
  }
}

/** Without the preload: flush when the event loop runs dry, write at exit. Harmless listeners, installed once. */
function installFallback(): void {
  if (state.fallbackInstalled) return;
  state.fallbackInstalled = true;
  process.on('beforeExit', () => {
    // Nothing pending schedules nothing: beforeExit would otherwise come round again and again.
    if (state.preloadEnds || unfinishedInExitStorages() === 0) return;
    void flushExitStorages();
  });
  process.on('exit', () => {
    if (state.preloadEnds) return;
    for (const [storage, log] of state.storages) {
      const left = safely(() => storage.writeAtExit());
      if (left > 0) log.warnOnce('exit-storage', leftAtExit(left));
    }
  });
}
