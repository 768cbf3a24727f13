// The route a request is counted under, named from its template or its URL, at the least cost for
// the runs and repeats real traffic has. Runtime-neutral: the preload's recorder holds one.

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

/** Paths first seen answering 4xx that get a name of their own, at most (a scanner's are 404s, 401s, 403s, 405s). */
const CLIENT_ERROR_PATHS_MAX = 100;

/**
 * Three caps, so that no kind of route crowds out another: the templates the app declares; the
 * paths named from URLs; and, apart, paths first seen answering 4xx, so that a scanner's thousands of
 * junk paths cannot use up the names the app's real routes need (found by a review: 600 probes of a
 * scanner had turned `/checkout` into `other` for the life of the process).
 * Every answer is what a guard admitted, and a guard never takes back a route it admitted (nor
 * admits one it turned away while full), so an answer kept from earlier stays right.
 */
export class RouteNamer {
  readonly #templates: RouteCardinalityGuard;
  readonly #paths: RouteCardinalityGuard;
  readonly #clientErrorPaths: RouteCardinalityGuard;
  readonly #named = new Map<string, string>();
  readonly #shapes = new RouteShapes();
  #lastUrl: string | undefined;
  #lastUrlRoute = '/';
  #lastTemplate: string | undefined;
  #lastTemplateRoute = '/';

  constructor(routeCap: number) {
    this.#templates = new RouteCardinalityGuard(routeCap);
    this.#paths = new RouteCardinalityGuard(routeCap);
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
      this.#lastUrl = this.#turnedAway(this.#lastUrlRoute, status) ? undefined : url;
    }
    return this.#lastUrlRoute;
  }

  /** A 4xx past its own cap: not kept, since the same path answered otherwise may still get its name. */
  #turnedAway(route: string, status: number): boolean {
    return isClientError(status) && route === OVERFLOW_ROUTE;
  }

  #ofPath(path: string, status: number): string {
    let route = this.#named.get(path);
    if (route === undefined) {
      const shape = normalisePath(path);
      route = this.#admitPath(clip(shape, LIMITS.routeLength) || '/', status);
      if (this.#turnedAway(route, status)) return route;
      this.#shapes.remember(shape, route);
      if (this.#named.size >= NAMED_PATHS_MAX) this.#named.clear();
      this.#named.set(path, route);
    }
    return route;
  }

  /** A path's name: a 4xx's takes a place among the paths only once something else has named it. */
  #admitPath(route: string, status: number): string {
    if (!isClientError(status) || this.#paths.has(route)) return this.#paths.admit(route);
    return this.#clientErrorPaths.admit(route);
  }
}

function isClientError(status: number): boolean {
  return status >= 400 && status < 500;
}
