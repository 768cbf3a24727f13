// The per-app cap on distinct route templates, kept in SQLite so it holds across restarts: the
// first `cap` routes are kept, any later new one is counted under `other`, visibly. An app with
// several shards has one guard that decides (shard 0's); the others keep what it admitted
// (shared-routes.ts).
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import type { Sql } from './sql.ts';

/** last_seen is refreshed at most this often per route, so a hot route costs no write per batch. */
export const TOUCH_EVERY_MS = 3_600_000;

export interface RouteGuardOptions {
  /**
   * false: a new route is never admitted here but learned from the guard that decides (a shard
   * k > 0 of an app: shard 0's, see shared-routes.ts); until then it is counted under `other`.
   */
  decides?: boolean;
}

export class RouteGuard {
  private readonly lastSeen = new Map<string, number>();
  private readonly decides: boolean;

  constructor(private readonly sql: Sql, readonly cap: number, options: RouteGuardOptions = {}) {
    this.decides = options.decides ?? true;
    this.reload();
  }

  /** Re-reads the table: after a rolled-back transaction or a retention pass. */
  reload(): void {
    this.lastSeen.clear();
    for (const row of this.sql.exec<{ route: string; last_seen: number }>('SELECT route, last_seen FROM routes')) {
      this.lastSeen.set(row.route, row.last_seen);
    }
  }

  get size(): number {
    return this.lastSeen.size;
  }

  /** When the route was last seen (as last refreshed), undefined when not known. */
  seen(route: string): number | undefined {
    return this.lastSeen.get(route);
  }

  /** The route to store a record under: itself when known or when there is room, else `other`. */
  admit(route: string, now: number): string {
    if (route === OVERFLOW_ROUTE) return route;
    const seen = this.lastSeen.get(route);
    if (seen !== undefined) {
      if (now - seen > TOUCH_EVERY_MS) {
        this.sql.exec('UPDATE routes SET last_seen = ? WHERE route = ?', now, route);
        this.lastSeen.set(route, now);
      }
      return route;
    }
    if (!this.decides || this.lastSeen.size >= this.cap) return OVERFLOW_ROUTE;
    this.insert(route, now);
    return route;
  }

  /** Keeps a route the deciding guard admitted (whatever this one's count: the cap is that guard's). */
  learn(route: string, now: number): void {
    if (route === OVERFLOW_ROUTE || this.lastSeen.has(route)) return;
    this.insert(route, now);
  }

  /** Drops a route the deciding guard no longer admits: its records go under `other` from now on. */
  forget(route: string): void {
    if (!this.lastSeen.delete(route)) return;
    this.sql.exec('DELETE FROM routes WHERE route = ?', route);
  }

  /** Forgets routes not seen since `before`, making room for new ones. */
  forgetOlderThan(before: number): number {
    const removed = this.sql.exec('DELETE FROM routes WHERE last_seen < ?', before).rowsWritten;
    if (removed > 0) this.reload();
    return removed;
  }

  private insert(route: string, now: number): void {
    this.sql.exec('INSERT INTO routes (route, first_seen, last_seen) VALUES (?, ?, ?)', route, now, now);
    this.lastSeen.set(route, now);
  }
}
