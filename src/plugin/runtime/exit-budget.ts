// The end of a process's one budget, for the preload's shutdown and the explicit API's own ends
// (a tracer's close() and its exit without the preload, a custom storage's close()): how long the
// end may take, and the wait that holds the process open for a promise no longer than that.

/** How long an end waits for what is still being sent or handed on, ms. */
export const EXIT_BUDGET_MS = 2000;

/**
 * The share of the exit's budget that encoding the exporters' queued spans may take (the rest is
 * sending them): encoded in their formats on the app's thread at exit, 2000 spans of 64 KB each, in
 * two formats, had taken the exit to 4.4 s and the process from 190 to 940 MB. What is not encoded
 * by then is counted as not delivered.
 */
export const EXIT_ENCODE_SHARE = 0.15;

/**
 * Whether `work` settles within `ms`, holding the process open meanwhile: the timer is ref'd, as the
 * work's own timers (a retry's wait) are not, so the process cannot end inside an `await close()`.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), waited]);
  } finally {
    clearTimeout(timer);
  }
}
