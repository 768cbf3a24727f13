// Timers bun-apm starts must never keep the host app's process alive.

/** The timer, unref'd where the runtime supports it. */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
