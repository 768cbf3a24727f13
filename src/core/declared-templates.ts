// Route templates an app declared for some methods only (Bun.serve's `{ "/orgs/:org": { GET } }`):
// a request with another method falls through to the app's fetch, or Bun's 404, without its
// template. Matched here against its path, it is counted under the template, as a router that
// answers 405 names it, instead of one raw path per tenant (`PUT /orgs/acme`, `PUT /orgs/globex`).

/** Templates kept, at most: far more than an app declares; the rest are named from their paths. */
const MAX_TEMPLATES = 1_000;

interface Declared {
  template: string;
  /** Its segments after the leading slash; `:name` matches any one non-empty segment. */
  segments: string[];
  /** Ends in `*`: matches any rest of the path after its slash (`/files/*`: `/files/` and below, not `/files`). */
  wildcard: boolean;
}

/**
 * @example
 * const declared = new DeclaredTemplates();
 * declared.add('/orgs/:org');
 * declared.match('/orgs/acme'); // '/orgs/:org'
 * declared.match('/orgs/acme/x'); // undefined
 */
export class DeclaredTemplates {
  /** By segment count, so a path is held against the few templates of its length. */
  readonly #exact = new Map<number, Declared[]>();
  readonly #wildcards: Declared[] = [];
  readonly #known = new Set<string>();

  get size(): number {
    return this.#known.size;
  }

  add(template: string): void {
    if (this.#known.has(template) || this.#known.size >= MAX_TEMPLATES || !template.startsWith('/')) return;
    this.#known.add(template);
    const segments = template.slice(1).split('/');
    const wildcard = segments[segments.length - 1] === '*';
    if (wildcard) segments.pop();
    const declared = { template, segments, wildcard };
    if (wildcard) this.#wildcards.push(declared);
    else {
      const list = this.#exact.get(segments.length);
      if (list === undefined) this.#exact.set(segments.length, [declared]);
      else list.push(declared);
    }
  }

  /** The most specific template the path matches (a literal segment over a parameter, any over a wildcard), or undefined. */
  match(path: string): string | undefined {
    if (this.#known.size === 0 || !path.startsWith('/')) return undefined;
    const parts = path.slice(1).split('/');
    let best: Declared | undefined;
    for (const declared of this.#exact.get(parts.length) ?? []) {
      if (matches(declared, parts) && (best === undefined || moreSpecific(declared, best))) best = declared;
    }
    if (best !== undefined) return best.template;
    for (const declared of this.#wildcards) {
      if (parts.length > declared.segments.length && matches(declared, parts) && (best === undefined || moreSpecific(declared, best))) best = declared;
    }
    return best?.template;
  }
}

function matches(declared: Declared, parts: string[]): boolean {
  for (let i = 0; i < declared.segments.length; i++) {
    const segment = declared.segments[i]!;
    const part = parts[i];
    if (part === undefined) return false;
    if (segment.startsWith(':') ? part === '' : segment !== part) return false;
  }
  return true;
}

/** Segment by segment: a literal before a parameter; then the longer literal prefix (for wildcards). */
function moreSpecific(a: Declared, b: Declared): boolean {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const aParam = a.segments[i]!.startsWith(':');
    const bParam = b.segments[i]!.startsWith(':');
    if (aParam !== bParam) return bParam;
  }
  return a.segments.length > b.segments.length;
}
