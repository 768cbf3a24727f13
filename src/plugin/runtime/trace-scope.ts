// The request an outbound fetch belongs to. Only requests that carry trace context enter the
// scope (traced ones, or ones whose caller sent a traceparent), so untraced traffic pays nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import { slot } from './registry.ts';
import type { RequestState } from './request-state.ts';

/** One per process, shared by every copy of bun-apm loaded into it (through the registry). */
export const traceScope: AsyncLocalStorage<RequestState> = slot('traceScope', () => new AsyncLocalStorage<RequestState>());

export function currentRequest(): RequestState | undefined {
  return traceScope.getStore();
}
