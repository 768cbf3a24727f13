// An app's id as the edge's keys name it (INGEST_KEYS, API_KEYS, URLs): what the preload must send,
// and how a package.json name becomes one.

export const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `@acme/shop api` → `shop-api`: the scope dropped, other characters made `-`; empty when nothing is left. */
export function appIdOf(name: string): string {
  return name.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[._-]+/, '').slice(0, 64);
}
