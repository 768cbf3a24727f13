// Who is calling: the ingest key's app, or the apps a read key may see. Fails with 401 otherwise.
import type { Env } from '../env.ts';
import { HttpError } from '../http/errors.ts';
import { ALL_APPS, keyRing, matchingEntries } from './key-ring.ts';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="bun-apm"' };

function bearer(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = /^Bearer[ \t]+(\S.*)$/i.exec(header.trim());
  return match?.[1]?.trim();
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message, CHALLENGE);
}

/** The app an ingest key (`Authorization: Bearer …`) writes to. */
export async function ingestApp(request: Request, env: Env): Promise<string> {
  const key = bearer(request);
  if (key === undefined) throw unauthorized('missing ingest key: send Authorization: Bearer <ingest key>');
  const ring = await keyRing(env);
  const hits = await matchingEntries(ring.ingest, key);
  if (hits.length === 0) throw unauthorized('invalid ingest key');
  return hits[0]!.app;
}

export interface Reader {
  /** Apps this key may read, sorted. */
  apps: string[];
  canRead(app: string): boolean;
}

/** The apps a read key (`X-API-Key` or `Authorization: Bearer`) may see. */
export async function reader(request: Request, env: Env): Promise<Reader> {
  const key = request.headers.get('x-api-key')?.trim() || bearer(request);
  if (!key) throw unauthorized('missing API key: send X-API-Key: <key> or Authorization: Bearer <key>');
  const ring = await keyRing(env);
  const hits = await matchingEntries(ring.read, key);
  if (hits.length === 0) throw unauthorized('invalid API key');
  const all = hits.some((hit) => hit.app === ALL_APPS);
  const apps = new Set(all ? ring.apps : []);
  for (const hit of hits) if (hit.app !== ALL_APPS) apps.add(hit.app);
  return { apps: [...apps].sort(), canRead: (app) => apps.has(app) };
}
