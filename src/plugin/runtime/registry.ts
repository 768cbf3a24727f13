// The one process-wide place where the copies of bun-apm loaded into a process meet: the preload
// and the middleware (which a bundler or a second install may load twice) find each other's
// request state, trace scope, recorder and router hooks here, under one `Symbol.for` key.
//
// The registry carries a version, bumped whenever the shape of any slot changes. A copy finding a
// registry of another version there leaves it alone and keeps a private one: the two then count
// on their own, which is better than one reading the other's state by the wrong shape.

/** Bump on any change to what a slot holds. */
export const REGISTRY_VERSION = 1;

/** The key, for the router hooks' patched source (which reaches the registry through globalThis). */
export const REGISTRY_KEY_NAME = 'bun-apm.registry';
const KEY = Symbol.for(REGISTRY_KEY_NAME);

/** Every slot the registry holds: the whole of what copies of bun-apm share, in one list. */
export type SlotName =
  /** Property key of the mark a recorded Request carries when the middleware is loaded (request-state.ts). */
  | 'requestMark'
  /** Property key marking functions bun-apm made, so nothing is wrapped twice (instrument-handler.ts). */
  | 'wrapped'
  /** The request whose handler is running synchronously right now, and its reusable state (request-state.ts). */
  | 'running'
  /** States of their own, by Request (request-state.ts). */
  | 'asyncStates'
  /** The AsyncLocalStorage of traced requests (trace-scope.ts). */
  | 'traceScope'
  /** The preload's recorder, in a box (process-recorder.ts). */
  | 'recorder'
  /** The middleware's recorder when no preload runs (middleware/monitor/shared-recorder.ts). */
  | 'middlewareRecorder'
  /** The handler wrappers the patched router sources call (routers/router-handlers.ts). */
  | 'routerHooks'
  /**
   * The exporters of the RequestTracers alive in the process, which the preload's shutdown flushes
   * with its own (exporters/tracer-exporters.ts). A slot added, not a shape changed: a copy of this
   * version without it only leaves its tracers' exporters out of the preload's shutdown.
   */
  | 'tracerExporters'
  /**
   * The PerformanceMonitors' file and custom storages, flushed at the end of the process by the
   * preload's shutdown or the middleware's own exit listeners (exit-storages.ts). A slot added, as
   * tracerExporters: a copy without it only leaves its monitors' storages out of the other's end.
   */
  | 'exitStorages'
  /** Whether the tracers' own exit listeners are installed, for a process without the preload (middleware/tracer/tracer-exit.ts). */
  | 'tracerExit';

export type Registry = { readonly version: number } & Partial<Record<SlotName, unknown>>;

function isRegistry(value: unknown): value is Registry {
  return typeof value === 'object' && value !== null && typeof (value as { version?: unknown }).version === 'number';
}

function resolve(): { registry: Registry; shared: boolean } {
  const holder = globalThis as { [KEY]?: unknown };
  const found = holder[KEY];
  if (isRegistry(found) && found.version === REGISTRY_VERSION) return { registry: found, shared: true };
  const own: Registry = Object.create(null);
  Object.defineProperty(own, 'version', { value: REGISTRY_VERSION, enumerable: true });
  if (found !== undefined) return { registry: own, shared: false }; // another version's: not ours to touch
  try {
    // Not writable: no later copy, of any version, can replace it under the ones already using it.
    Object.defineProperty(globalThis, KEY, { value: own, writable: false, enumerable: false, configurable: false });
    return { registry: own, shared: true };
  } catch {
    return { registry: own, shared: false };
  }
}

const resolved = resolve();

/** The registry this copy uses: the process's, or a private one when another version holds the key. */
export const registry: Registry = resolved.registry;

/** False when another version of bun-apm holds the key, so this copy counts on its own. */
export const registryShared: boolean = resolved.shared;

/**
 * The slot's value, created by the first copy that asks. Slots are never replaced: a value that
 * changes lives inside the slot's object.
 *
 * @example
 * const running = slot('running', () => ({ request: undefined }));
 */
export function slot<T>(name: SlotName, create: () => T): T {
  const slots = registry as Record<string, unknown>;
  if (!(name in slots)) Object.defineProperty(slots, name, { value: create(), enumerable: true });
  return slots[name] as T;
}
