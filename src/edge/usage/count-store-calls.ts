// Every RPC method call on a Durable Object is one billed request: this wraps the store's read
// methods (and its cron visit and alarm) on the class's prototype, where RPC finds them, so each
// call is counted without a line in each method. Ingest counts itself (it knows its instance).
import type { StoreCall, UsageCounter } from './usage-counter.ts';

const counters = new WeakMap<object, () => UsageCounter>();

/** Ties a store to its counter (from the store's constructor; the counter may be made on first use). */
export function countCallsWith(store: object, counter: () => UsageCounter): void {
  counters.set(store, counter);
}

type Method = (...args: never[]) => unknown;

/**
 * Wraps `names` of `cls.prototype` so each call counts one store request of `kind` first.
 *
 * @example
 * countStoreCalls(AppStore, 'reads', ['summary', 'routes']);
 */
export function countStoreCalls<T extends object>(cls: { prototype: T }, kind: StoreCall, names: ReadonlyArray<keyof T & string>): void {
  const prototype = cls.prototype as Record<string, Method>;
  for (const name of names) {
    const original = prototype[name];
    if (typeof original !== 'function') throw new TypeError(`countStoreCalls: ${name} is not a method`);
    prototype[name] = {
      [name](this: object, ...args: never[]) {
        try {
          counters.get(this)?.().call(kind);
        } catch (error) {
          // Counting must never fail the call it counts.
          console.warn(`bun-apm edge: usage count failed (${(error as Error)?.message ?? error})`);
        }
        return original.apply(this, args);
      },
    }[name]!;
  }
}
