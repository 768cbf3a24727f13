// The one way the Worker keeps what it made of its vars and secrets: by their values, so each is
// read and checked once per isolate rather than per request, a changed value (a deploy, a test's
// edge) is seen at once, and a refused one is not kept, so every request reports it again.
import { varText } from '../core/config/var-text.ts';

/**
 * @example
 * const readSettings = cachedByVars(['ROUTE_CAP', 'PLAN'], (env) => ({ routeCap: Number(env.ROUTE_CAP ?? 1000) }));
 */
export function cachedByVars<V extends string, E extends Partial<Record<V, unknown>>, T>(names: readonly V[], build: (env: E) => T): (env: E) => T {
  let last: { key: string; value: T } | undefined;
  return function cached(env) {
    // By the text each is read as: `ROUTE_CAP = 1000` and `ROUTE_CAP = "1000"` are one setting.
    const key = JSON.stringify(names.map((name) => varText(env[name]) ?? null));
    if (last?.key === key) return last.value;
    const value = build(env);
    const entry = { key, value };
    last = entry;
    // A promise that fails (an async parse) is dropped too, so the next request tries again.
    if (value instanceof Promise) {
      value.catch(() => {
        if (last === entry) last = undefined;
      });
    }
    return value;
  };
}
