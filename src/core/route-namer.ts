// The route a request is counted under, named from its template or its URL, at the least cost for
// the runs and repeats real traffic has. Runtime-neutral: the preload's recorder holds one.

import { pathEnd, pathStart } from './request-key.ts';
import { normalisePath, RouteCardinalityGuard } from './route-normaliser.ts';
import { RouteShapes } from './route-shapes.ts';
import { clip, LIMITS } from './wire-format.ts';

/**
 * Paths named recently, for a plain fetch handler whose hot paths come between other requests. Kept
 * small: serving ids, every path is new, and a cache of 10,000 cost +3,900 instructions a request
 * over one of 256 (callgrind, `ONLY=ids bench:instructions`), its strings marked by every collection.
 */
const NAMED_PATHS_MAX = 256;

/**
 * Every answer is what the guard admitted, and the guard never takes back a route it admitted (nor
 * admits one it turned away while full), so an answer kept from earlier stays right.
 */
export class RouteNamer {
  readonly #guard: RouteCardinalityGuard;
  readonly #named = new Map<string, string>();
  readonly #shapes = new RouteShapes();
  #lastUrl: string | undefined;
  #lastUrlRoute = '/';
  #lastTemplate: string | undefined;
  #lastTemplateRoute = '/';

  constructor(routeCap: number) {
    this.#guard = new RouteCardinalityGuard(routeCap);
  }

  /** A router's or Bun's route template, as admitted; the last one is kept, since requests come in runs of one route. */
  ofTemplate(template: string): string {
    if (template !== this.#lastTemplate) {
      this.#lastTemplateRoute = this.#admit(template);
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
  ofUrl(url: string): string {
    if (url !== this.#lastUrl) {
      const start = pathStart(url);
      if (start < 0) this.#lastUrlRoute = this.#ofPath('/');
      else {
        const end = pathEnd(url, start);
        this.#lastUrlRoute = this.#shapes.match(url, start, end) ?? this.#ofPath(url.slice(start, end));
      }
      this.#lastUrl = url;
    }
    return this.#lastUrlRoute;
  }

  #ofPath(path: string): string {
    let route = this.#named.get(path);
    if (route === undefined) {
      const shape = normalisePath(path);
      route = this.#admit(shape);
      this.#shapes.remember(shape, route);
      if (this.#named.size >= NAMED_PATHS_MAX) this.#named.clear();
      this.#named.set(path, route);
    }
    return route;
  }

  #admit(route: string): string {
    return this.#guard.admit(clip(route, LIMITS.routeLength) || '/');
  }
}
