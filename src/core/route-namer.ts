// The route a request is counted under, named from its template or its URL, at the least cost for
// the runs and repeats real traffic has. Runtime-neutral: the preload's recorder holds one.

import { DeclaredTemplates } from './declared-templates.ts';
import { pathEnd, pathStart } from './request-key.ts';
import { normalisePath, OVERFLOW_ROUTE, RouteCardinalityGuard } from './route-normaliser.ts';
import { RouteShapes } from './route-shapes.ts';
import { clip, LIMITS } from './wire-format.ts';

/**
 * Paths named recently, for a plain fetch handler whose hot paths come between other requests. Kept
 * small: serving ids, every path is new, and a cache of 10,000 cost +3,900 instructions a request
 * over one of 256 (callgrind, `ONLY=ids bench:instructions`), its strings marked by every collection.
 */
const NAMED_PATHS_MAX = 256;

/** Paths named at their first request, at most: after these, a path is named when it comes again. */
const FIRST_SEEN_PATHS_MAX = 100;
/** Paths first seen answering 4xx that get a name of their own, at most (a scanner's are 404s, 401s, 403s, 405s). */
const CLIENT_ERROR_PATHS_MAX = 100;
/** Paths remembered as seen once while the first-seen names were taken: two generations of at most this many. */
const SEEN_ONCE_MAX = 5_000;
/** A path named from URLs and not counted for this long is forgotten, its place freed. */
const IDLE_FORGET_MS = 3_600_000;
/** How often idle paths are looked for. */
const IDLE_SWEEP_MS = 60_000;

/**
 * Caps, so that no kind of route crowds out another: the templates the app declares; the first
 * paths named from URLs, at their first request; past those, paths that came again; and, apart,
 * paths first seen answering 4xx. A scanner's thousands of junk paths, 404s or answered 200 by a
 * catch-all, come once each: they cannot use up the names the app's real routes need (found by
 * reviews: 600 probes had turned `/checkout` into `other` for the life of the process). A path
 * answering 4xx takes no place by coming again (scanners repeat their lists).
 * A scanner that repeats its list gets places for what comes again: paths named from URLs that
 * no batch has counted for an hour are forgotten (used(), off the request path), so the app's
 * routes get their names back. Every answer kept (the caches) is what a guard admitted, and all of
 * them go when a path is forgotten; `other` is never kept, since the path may be named next time.
 */
export class RouteNamer {
  readonly #templates: RouteCardinalityGuard;
  readonly #paths: RouteCardinalityGuard;
  readonly #firstSeen: RouteCardinalityGuard;
  readonly #clientErrorPaths: RouteCardinalityGuard;
  #seenOnce = new Set<string>();
  #seenBefore = new Set<string>();
  /** Paths named from URLs, with when a drained batch last counted them. */
  readonly #lastUsed = new Map<string, number>();
  #sweptAt = 0;
  readonly #named = new Map<string, string>();
  readonly #declared = new DeclaredTemplates();
  #shapes = new RouteShapes();
  #lastUrl: string | undefined;
  #lastUrlRoute = '/';
  #lastTemplate: string | undefined;
  #lastTemplateRoute = '/';

  constructor(routeCap: number) {
    this.#templates = new RouteCardinalityGuard(routeCap);
    this.#paths = new RouteCardinalityGuard(routeCap);
    this.#firstSeen = new RouteCardinalityGuard(Math.min(routeCap, FIRST_SEEN_PATHS_MAX));
    this.#clientErrorPaths = new RouteCardinalityGuard(Math.min(routeCap, CLIENT_ERROR_PATHS_MAX));
  }

  /** A router's or Bun's route template, as admitted; the last one is kept, since requests come in runs of one route. */
  ofTemplate(template: string): string {
    if (template !== this.#lastTemplate) {
      this.#lastTemplateRoute = this.#templates.admit(clip(template, LIMITS.routeLength) || '/');
      this.#lastTemplate = template;
    }
    return this.#lastTemplateRoute;
  }

  /**
   * A template the app declared for some methods only (a Bun.serve per-method route): a path of it
   * named from its URL (another method, fallen through to the app's fetch) is named by it.
   */
  declare(template: string): void {
    this.#declared.add(template);
  }

  /**
   * The route of an absolute URL's path. A run of requests to one URL (equal strings) skips the
   * parsing; a new id of an id route named lately is matched in place (serving ids, this saves the
   * slice, the look-up and the admission of a new string: README, `ONLY=ids bench:instructions`);
   * else a path named lately is looked up; only a path like none of these is sliced, normalised
   * and admitted.
   */
  ofUrl(url: string, status = 200): string {
    if (url !== this.#lastUrl) {
      const start = pathStart(url);
      if (start < 0) this.#lastUrlRoute = this.#ofPath('/', status);
      else {
        const end = pathEnd(url, start);
        this.#lastUrlRoute = this.#shapes.match(url, start, end) ?? this.#ofPath(url.slice(start, end), status);
      }
      this.#lastUrl = this.#lastUrlRoute === OVERFLOW_ROUTE ? undefined : url;
    }
    return this.#lastUrlRoute;
  }

  #ofPath(path: string, status: number): string {
    let route = this.#named.get(path);
    if (route === undefined) {
      const declared = this.#declared.match(path);
      // A declared template's path is not remembered as a shape: its next path is matched here again.
      if (declared !== undefined) route = this.ofTemplate(declared);
      else {
        const shape = normalisePath(path);
        route = this.#admitPath(clip(shape, LIMITS.routeLength) || '/', status);
        if (route === OVERFLOW_ROUTE) return route;
        this.#shapes.remember(shape, route);
      }
      if (this.#named.size >= NAMED_PATHS_MAX) this.#named.clear();
      this.#named.set(path, route);
    }
    return route;
  }

  /** A path's name: its own if named before, at its first request while first-seen names last, else when it comes again. */
  #admitPath(route: string, status: number): string {
    if (this.#firstSeen.has(route) || this.#paths.has(route)) return route;
    if (isClientError(status)) return this.#clientErrorPaths.admit(route);
    if (this.#seenOnce.has(route) || this.#seenBefore.has(route)) return this.#paths.admit(route);
    const named = this.#firstSeen.admit(route);
    if (named === OVERFLOW_ROUTE) {
      // The older generation goes, not all at once: a path seen just before still counts as seen.
      if (this.#seenOnce.size >= SEEN_ONCE_MAX) [this.#seenBefore, this.#seenOnce] = [this.#seenOnce, new Set()];
      this.#seenOnce.add(route);
    }
    return named;
  }

  /** The routes of a drained batch of cells, at `now` (ms, any clock that only moves forward): forgets paths idle for an hour. */
  used(routes: Iterable<string>, now: number): void {
    for (const route of routes) {
      if (this.#lastUsed.has(route) || this.#paths.has(route) || this.#firstSeen.has(route) || this.#clientErrorPaths.has(route)) this.#lastUsed.set(route, now);
    }
    if (now - this.#sweptAt < IDLE_SWEEP_MS) return;
    this.#sweptAt = now;
    let forgot = false;
    for (const [route, at] of this.#lastUsed) {
      if (now - at <= IDLE_FORGET_MS) continue;
      this.#lastUsed.delete(route);
      for (const guard of [this.#paths, this.#firstSeen, this.#clientErrorPaths]) guard.forget(route);
      forgot = true;
    }
    if (!forgot) return;
    this.#named.clear();
    this.#shapes = new RouteShapes();
    this.#lastUrl = undefined;
  }
}

function isClientError(status: number): boolean {
  return status >= 400 && status < 500;
}
