// The route cap of an app spread over shards (shards.ts): ROUTE_CAP counts the app's distinct
// routes, so one guard decides, shard 0's. A shard k > 0 asks it, in one call before a batch is
// stored, about the batch's routes it does not know, keeps those admitted in its own routes table
// (later batches need no call) and counts the others under `other`. Refusals are remembered for a
// while: a hot route past the cap costs no call per batch, and shard 0 may free room later (its
// retention forgets routes no shard used for HOUR_RETENTION_DAYS). A known route is asked about
// again when its last_seen is due a refresh (at most hourly, as the guard writes it), so shard 0
// sees it used and never forgets a route another shard still stores, and a route shard 0 no longer
// admits is dropped here within the hour.
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import type { Batch, Span } from '../../core/wire-format.ts';
import { headOf } from './traces.ts';
import { TOUCH_EVERY_MS, type RouteGuard } from './route-guard.ts';

/** How long a refused route is not asked about again. */
export const REFUSAL_KEPT_MS = 600_000;
/** How long known routes go unrefreshed after shard 0 failed a refresh (they are stored meanwhile). */
const REFRESH_RETRY_MS = 60_000;
/** Refusals remembered at most (a flood of distinct routes past the cap stays bounded; the oldest go first). */
const MAX_REFUSALS = 10_000;

/** Shard 0's answer: which of `routes` the app admits (store/route-guard.ts there decides, in order). */
export type AskRoutes = (routes: string[]) => Promise<string[]>;

/**
 * The routes a batch names: its cells', its samples', and the route of each trace's head span (the
 * one its row is named by, traces.ts headOf), which the fold passes through the guard. Only those:
 * a route asked about and never stored would take a place under the cap.
 */
export function routesOf(batch: Pick<Batch, 'rollups' | 'samples' | 'spans'>): Set<string> {
  const routes = new Set<string>();
  for (const cell of batch.rollups) routes.add(cell.route);
  for (const sample of batch.samples) routes.add(sample.route);
  const traces = new Map<string, Span[]>();
  for (const span of batch.spans) {
    const list = traces.get(span.traceId);
    if (list === undefined) traces.set(span.traceId, [span]);
    else list.push(span);
  }
  for (const spans of traces.values()) {
    const route = headOf(spans).tags['http.route'];
    if (typeof route === 'string') routes.add(route);
  }
  routes.delete(OVERFLOW_ROUTE);
  return routes;
}

/** A shard k > 0's side: what it asks shard 0, and the refusals it remembers. */
export class SharedRoutes {
  private readonly refused = new Map<string, number>();
  /** After shard 0 failed a refresh, none is asked before this: known routes are stored meanwhile. */
  private refreshPausedUntil = 0;

  constructor(private readonly ask: AskRoutes) {}

  /**
   * Brings `guard` up to date for `routes` before a batch naming them is stored: no call when each is
   * known here (and not due a refresh) or refused lately. `guard` is a getter: the store may reload
   * its guard while the call is out. Throws when shard 0 does not answer about a route new here
   * (nothing learned); a refresh of known routes only that fails is tried again a minute later.
   */
  async prepare(guard: () => RouteGuard, routes: Iterable<string>, now: number): Promise<void> {
    const asked: string[] = [];
    let unknown = false;
    const refreshing = now >= this.refreshPausedUntil;
    for (const route of routes) {
      const seen = guard().seen(route);
      if (seen !== undefined) {
        if (!refreshing || now - seen <= TOUCH_EVERY_MS) continue;
      } else if ((this.refused.get(route) ?? 0) > now) continue;
      else unknown = true;
      asked.push(route);
    }
    if (asked.length === 0) return;
    let answer: string[];
    try {
      answer = await this.ask(asked);
    } catch (error) {
      if (unknown) throw error;
      this.refreshPausedUntil = now + REFRESH_RETRY_MS;
      return;
    }
    const admitted = new Set(answer);
    const current = guard();
    for (const route of asked) {
      if (admitted.has(route)) {
        this.refused.delete(route);
        current.learn(route, now);
      } else {
        current.forget(route);
        this.refuse(route, now);
      }
    }
  }

  private refuse(route: string, now: number): void {
    this.refused.delete(route);
    if (this.refused.size >= MAX_REFUSALS) this.refused.delete(this.refused.keys().next().value!);
    this.refused.set(route, now + REFUSAL_KEPT_MS);
  }
}
