// The request an outbound fetch belongs to. Only requests that carry trace context enter the
// scope (traced ones, or ones whose caller sent a traceparent), so untraced traffic pays nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestState } from './request-state.ts';

const KEY = Symbol.for('bun-apm.trace-scope');
type Holder = { [KEY]?: AsyncLocalStorage<RequestState> };

/** One per process, shared by every copy of bun-apm loaded into it. */
export const traceScope: AsyncLocalStorage<RequestState> = ((globalThis as Holder)[KEY] ??= new AsyncLocalStorage<RequestState>());

export function currentRequest(): RequestState | undefined {
  return traceScope.getStore();
}
