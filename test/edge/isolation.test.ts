// App isolation: a read key sees only its apps; another app's data, or an app that doesn't exist,
// answers the same 404; ingest and read keys are not interchangeable.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { api, apiOk, ingestOk, KEYS, startEdge } from './support/edge.ts';

let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge();
  await ingestOk(edge, makeBatch());
  const blog = makeBatch();
  blog.identity.app = 'blog';
  blog.samples[0]!.path = '/blog/secret-draft';
  await ingestOk(edge, blog, { key: KEYS.blogIngest });
  await ingestOk(edge, { ...makeBatch(), identity: { ...blog.identity } }, { key: KEYS.blogIngest });
});

afterAll(async () => {
  await edge?.dispose();
});

const ENDPOINTS = ['summary', 'timeseries', 'routes', 'samples', 'traces', 'profiles', 'instances', 'status', 'export.ndjson'];

describe('app isolation', () => {
  test('each key lists only its apps; * and the admin key list every app', async () => {
    expect(await apiOk(edge, '/api/v1/apps', KEYS.shopRead)).toEqual({ apps: ['shop'] });
    expect(await apiOk(edge, '/api/v1/apps', KEYS.blogRead)).toEqual({ apps: ['blog'] });
    expect(await apiOk(edge, '/api/v1/apps', KEYS.allRead)).toEqual({ apps: ['blog', 'shop'] });
    expect(await apiOk(edge, '/api/v1/apps', KEYS.admin)).toEqual({ apps: ['blog', 'shop'] });
  });

  test("shop's key never sees blog's data, and can't tell blog from an app that doesn't exist", async () => {
    for (const endpoint of ENDPOINTS) {
      const other = await api(edge, `/api/v1/apps/blog/${endpoint}`, KEYS.shopRead);
      const missing = await api(edge, `/api/v1/apps/nope/${endpoint}`, KEYS.shopRead);
      expect(other.status, endpoint).toBe(404);
      expect(other.body).toEqual(missing.body);
      expect(JSON.stringify(other.body)).not.toContain('secret-draft');
    }
    expect((await api(edge, `/api/v1/apps/blog/traces/${'a'.repeat(32)}`, KEYS.shopRead)).status).toBe(404);
  });

  test('each app sees only its own data', async () => {
    expect((await apiOk(edge, '/api/v1/apps/shop/summary', KEYS.shopRead)).requests).toBe(3);
    expect((await apiOk(edge, '/api/v1/apps/blog/summary', KEYS.blogRead)).requests).toBe(6);
    const shopSamples = await apiOk(edge, '/api/v1/apps/shop/samples', KEYS.allRead);
    expect(shopSamples.items.map((s: any) => s.path)).toEqual(['/users/42']);
    const blogSamples = await apiOk(edge, '/api/v1/apps/blog/samples', KEYS.admin);
    expect(blogSamples.items.map((s: any) => s.path).sort()).toEqual(['/blog/secret-draft', '/users/42']);
  });

  test('an ingest key cannot read and a read key cannot ingest', async () => {
    const read = await api(edge, '/api/v1/apps/shop/summary', KEYS.shopIngest);
    expect(read.status).toBe(401);
    expect(read.body.error).toEqual({ code: 'unauthorized', message: 'invalid API key' });
    const noKey = await fetch(new URL('/api/v1/apps', edge.url));
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.message).toMatch(/missing API key/);
    const bearer = await fetch(new URL('/api/v1/apps/shop/summary', edge.url), { headers: { authorization: `Bearer ${KEYS.shopRead}` } });
    expect(bearer.status).toBe(200);
  });
});
