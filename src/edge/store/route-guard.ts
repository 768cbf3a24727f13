// The per-app cap on distinct route templates, kept in SQLite so it holds across restarts: the
// first `cap` routes are kept, any later new one is counted under `other`, visibly, unless a kept
// route has gone a day unnamed: it gives its place (a review: a scanner's paths, named by several
// processes' own allowances, had filled the cap until retention forgot them, months later, and a
// real new route was `other` all that time). An app with
// several shards has one guard that decides (shard 0's); the others keep what it admitted
// (shared-routes.ts).
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import type { Sql } from './sql.ts';

/** last_seen is refreshed at most this often per route, so a hot route costs no write per batch. */
export const TOUCH_EVERY_MS = 3_600_000;
/** Once the cap is full, a route no batch has named for this long gives its place to a new one (its data stays). */
export const IDLE_GIVES_WAY_MS = 86_400_000;

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
  /** Routes idle long enough to give way, most idle last, as last looked for (each checked again before it goes). */
  private idle: Array<{ route: string; seen: number }> = [];
  /** No route can have been idle long enough before this (the least recently seen one's time to give way). */
  private noneIdleBefore = 0;

  constructor(private readonly sql: Sql, readonly cap: number, options: RouteGuardOptions = {}) {
    this.decides = options.decides ?? true;
    this.reload();
  }

  /** Re-reads the table: after a rolled-back transaction or a retention pass. */
  reload(): void {
    this.lastSeen.clear();
    this.idle = [];
    this.noneIdleBefore = 0;
    for (const row of this.sql.exec<{ route: string; last_seen: number }>('SELECT route, last_seen FROM routes')) {
      this.lastSeen.set(row.route, row.last_seen);
    }
  }

  get size(): number {
    return this.lastSeen.size;
  }

  /** The routes admitted. */
  routes(): IterableIterator<string> {
    return this.lastSeen.keys();
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
    if (!this.decides || (this.lastSeen.size >= this.cap && !this.makeRoom(now))) return OVERFLOW_ROUTE;
    this.insert(route, now);
    return route;
  }

  /**
   * Forgets the route longest unnamed if that is past IDLE_GIVES_WAY_MS. The idle ones are found
   * and sorted once for a run of new routes, not looked for at each: a flood of new routes past a
   * full cap of 100,000 must not scan it per route.
   */
  private makeRoom(now: number): boolean {
    if (this.idle.length === 0) {
      if (now < this.noneIdleBefore) return false;
      let leastRecent = Number.POSITIVE_INFINITY;
      for (const [route, seen] of this.lastSeen) {
        if (now - seen > IDLE_GIVES_WAY_MS) this.idle.push({ route, seen });
        else leastRecent = Math.min(leastRecent, seen);
      }
      this.idle.sort((a, b) => b.seen - a.seen);
      // Times only move on (a route is seen or inserted at now), so none can be idle enough before then.
      if (this.idle.length === 0) this.noneIdleBefore = leastRecent + IDLE_GIVES_WAY_MS;
    }
    for (let candidate = this.idle.pop(); candidate !== undefined; candidate = this.idle.pop()) {
      if (this.lastSeen.get(candidate.route) !== candidate.seen) continue; // named since, or gone
      this.forget(candidate.route);
      return true;
    }
    return false;
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
