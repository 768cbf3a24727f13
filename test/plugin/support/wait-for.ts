// Polls a condition until it holds or a deadline passes: tests wait for events, never sleep for them.

/** Resolves with the first defined value `check` returns, or undefined once `timeoutMs` has passed. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 25): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) return undefined;
    await Bun.sleep(intervalMs);
  }
}
