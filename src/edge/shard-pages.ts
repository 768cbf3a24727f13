// Pages of a listing (samples, traces, profiles) over an app's shards: each shard gives its own
// first page after its own cursor, the pages are merged in the listing's order, and the first
// `limit` items are the merged page. The next page's cursor holds one position per shard: after
// the last item taken from it, where it was (nothing of it taken), or done. Exact: an item is on
// the merged page if and only if it is among the first `limit` of all shards together.

/** Where a shard is: not started, after the store's own cursor, or done. */
type Position = null | string | false;

/** Composite cursors start with this, so a store's own cursor can never be taken for one. */
const PREFIX = 'm.';
/** 64 shards of store cursors (each ≤ 200 characters) with room to spare. */
const MAX_LENGTH = 16_384;

export interface ShardPage<T> {
  items: T[];
  nextCursor: string | null;
  warnings?: string[];
}

export function encodeShardCursor(positions: readonly Position[]): string {
  return PREFIX + btoa(JSON.stringify(positions)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The positions in a composite cursor for `shards` shards, or null when the text is not one. */
export function decodeShardCursor(text: string, shards: number): Position[] | null {
  if (!text.startsWith(PREFIX) || text.length > MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text.slice(PREFIX.length))) return null;
  try {
    const value: unknown = JSON.parse(atob(text.slice(PREFIX.length).replace(/-/g, '+').replace(/_/g, '/')));
    if (!Array.isArray(value) || value.length !== shards) return null;
    if (!value.every((p) => p === null || p === false || (typeof p === 'string' && p.length <= 200))) return null;
    return value as Position[];
  } catch {
    return null;
  }
}

export interface MergeOptions<T> {
  shards: number;
  limit: number;
  /** The caller's composite cursor (undefined: the first page). Throws a CursorError when it is not one. */
  cursor: string | undefined;
  /** Shard k's page after its own cursor (undefined: from the start). */
  page: (shard: number, after: string | undefined, limit: number) => Promise<ShardPage<T>>;
  /** The listing's order. */
  compare: (a: T, b: T) => number;
  /** The store's own cursor after this item (what its next page would start after). */
  cursorAfter: (item: T) => string;
}

export class CursorError extends Error {}

export async function mergePages<T>(options: MergeOptions<T>): Promise<ShardPage<T>> {
  const { shards, limit } = options;
  const positions: Position[] = options.cursor === undefined ? Array.from({ length: shards }, () => null) : decodeShardCursor(options.cursor, shards) ?? [];
  if (positions.length !== shards) throw new CursorError('cursor: expected a cursor from a previous page');
  const pages = await Promise.all(positions.map((position, k) => (position === false ? null : options.page(k, position ?? undefined, limit))));
  const tagged: Array<{ item: T; shard: number }> = [];
  pages.forEach((page, shard) => page?.items.forEach((item) => tagged.push({ item, shard })));
  tagged.sort((a, b) => options.compare(a.item, b.item) || a.shard - b.shard);
  const taken = tagged.slice(0, limit);
  const next = [...positions];
  pages.forEach((page, shard) => {
    if (page === null) return;
    const mine = taken.filter((t) => t.shard === shard);
    if (mine.length === page.items.length && page.nextCursor === null) next[shard] = false;
    else if (mine.length > 0) next[shard] = options.cursorAfter(mine[mine.length - 1]!.item);
  });
  const warnings = pages.flatMap((page) => page?.warnings ?? []);
  return {
    items: taken.map((t) => t.item),
    nextCursor: next.every((p) => p === false) ? null : encodeShardCursor(next),
    ...(warnings.length > 0 && { warnings }),
  };
}
