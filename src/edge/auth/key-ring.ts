// Parses the key secrets into digests: INGEST_KEYS (`app:key,…`), API_KEYS (`app:key,*:key,…`) and
// ADMIN_API_KEY. Keys are kept only as SHA-256 digests, compared in constant time, never logged.
import type { Env } from '../env.ts';
import { ConfigError } from '../config-error.ts';
import { cachedByVars } from '../config-cache.ts';
import { APP_ID } from '../../core/app-id.ts';
/** In API_KEYS: this key may read every app of INGEST_KEYS. */
export const ALL_APPS = '*';

export interface KeyEntry {
  app: string;
  digest: Uint8Array;
}

export interface KeyRing {
  ingest: KeyEntry[];
  read: KeyEntry[];
  /** Every app that has an ingest key: what `*` grants and what the cron visits. */
  apps: string[];
}

const encoder = new TextEncoder();

export async function digestOf(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
}

/**
 * A key as `bun-apm keys` makes them (a prefix, then 24 random characters): written where the app
 * goes, it is a key:app entry. An app merely named `read_api` is no such key.
 */
const GENERATED_KEY = /^(ing|read|adm|dash)_[A-Za-z0-9_-]{20,}$/;
/** `app:` inside a key: entries run together without a comma. */
const ANOTHER_ENTRY = /\s(\*|[A-Za-z0-9][A-Za-z0-9._-]{0,63}):/;

/**
 * `shop:k1, blog:k2` → entries as written, unchecked. The key is everything after the first colon,
 * so keys may hold colons (and spaces). Entries are separated by commas or line breaks (a secret
 * pasted one entry a line). The alerting configuration reads the apps named here too.
 */
export function listedEntries(text: string | undefined): Array<{ app: string; key: string }> {
  const items = (text ?? '').split(/[,\r\n]/).map((item) => item.trim()).filter((item) => item !== '');
  return items.map((item) => {
    const colon = item.indexOf(':');
    return colon > 0 ? { app: item.slice(0, colon).trim(), key: item.slice(colon + 1).trim() } : { app: '', key: '' };
  });
}

/** The entries of a key list, checked, their keys as digests. */
async function parseList(text: string | undefined, name: string, allowAll: boolean): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = [];
  for (const [index, { app, key }] of listedEntries(text).entries()) {
    // Named by position only: the text may hold a key.
    if (GENERATED_KEY.test(app)) throw new ConfigError(`${name}: entry ${index + 1} names a key where its app goes: the form is app:key`);
    if (key === '' || !(APP_ID.test(app) || (allowAll && app === ALL_APPS))) {
      throw new ConfigError(`${name}: entry ${index + 1} is not app:key (app: 1..64 of A-Z a-z 0-9 . _ -${allowAll ? ', or *' : ''})`);
    }
    if (ANOTHER_ENTRY.test(key)) throw new ConfigError(`${name}: entry ${index + 1} holds a second app:key after a space; separate entries with commas or line breaks`);
    entries.push({ app, digest: await digestOf(key) });
  }
  return entries;
}

/** The key ring of this env, parsed once per distinct value of the secrets. */
export const keyRing: (env: Env) => Promise<KeyRing> = cachedByVars(['INGEST_KEYS', 'API_KEYS', 'ADMIN_API_KEY'], buildRing);

async function buildRing(env: Env): Promise<KeyRing> {
  const ingest = await parseList(env.INGEST_KEYS, 'INGEST_KEYS', false);
  const read = await parseList(env.API_KEYS, 'API_KEYS', true);
  const admin = env.ADMIN_API_KEY?.trim();
  if (admin) read.push({ app: ALL_APPS, digest: await digestOf(admin) });
  // One ingest key must name one app: otherwise which app a batch lands in would be a guess.
  for (let i = 0; i < ingest.length; i++) {
    for (let j = i + 1; j < ingest.length; j++) {
      if (ingest[i]!.app !== ingest[j]!.app && sameDigest(ingest[i]!.digest, ingest[j]!.digest)) {
        throw new ConfigError(`INGEST_KEYS: apps ${ingest[i]!.app} and ${ingest[j]!.app} share a key; give each app its own`);
      }
    }
  }
  const apps = [...new Set(ingest.map((entry) => entry.app))].sort();
  return { ingest, read, apps };
}

/** Constant time in the content: every byte is compared whatever the first difference. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** The entries whose key is `presented`. Every entry is compared, so timing says nothing about which. */
export async function matchingEntries(entries: KeyEntry[], presented: string): Promise<KeyEntry[]> {
  const digest = await digestOf(presented);
  const hits: KeyEntry[] = [];
  for (const entry of entries) {
    if (sameDigest(entry.digest, digest)) hits.push(entry);
  }
  return hits;
}
