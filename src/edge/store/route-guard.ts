// The per-app cap on distinct route templates, kept in SQLite so it holds across restarts: the
// first `cap` routes are kept, any later new one is counted under `other`, visibly.
import { OVERFLOW_ROUTE } from '../../core/route-normaliser.ts';
import type { Sql } from './sql.ts';

/** last_seen is refreshed at most this often per route, so a hot route costs no write per batch. */
const TOUCH_EVERY_MS = 3_600_000;

export class RouteGuard {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly sql: Sql, readonly cap: number) {
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
    if (this.lastSeen.size >= this.cap) return OVERFLOW_ROUTE;
    this.sql.exec('INSERT INTO routes (route, first_seen, last_seen) VALUES (?, ?, ?)', route, now, now);
    this.lastSeen.set(route, now);
    return route;
  }

  /** Forgets routes not seen since `before`, making room for new ones. */
  forgetOlderThan(before: number): number {
    const removed = this.sql.exec('DELETE FROM routes WHERE last_seen < ?', before).rowsWritten;
    if (removed > 0) this.reload();
    return removed;
  }
}
