// Bad input at the ingest endpoint: each gets a 4xx whose message says what is wrong, and the store
// holds exactly what it held before (checked through the export API).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingest, ingestOk, KEYS, startEdge, storedRecords, type IngestOptions } from './support/edge.ts';

const MIB = 1024 * 1024;
const YEAR = 365 * 86_400_000;
let edge: LocalEdge;
let before: any[];
let statusBefore: any;

/** A valid batch for now with one thing broken. */
function broken(breakIt: (batch: any) => void): any {
  const batch: any = structuredClone(makeBatch(Date.now()));
  breakIt(batch);
  return batch;
}

function oneCellSketch(): string {
  const sketch = new QuantileSketch();
  sketch.add(1);
  return sketch.toBase64();
}

/** `count` rollup cells or samples, each with its own route: far past the limits of one batch. */
function distinctRoutes(count: number, where: 'rollups' | 'samples'): any {
  const minute = Date.now() - (Date.now() % 60_000);
  const sketch = oneCellSketch();
  return broken((b) => {
    if (where === 'rollups') {
      b.rollups = Array.from({ length: count }, (_, i) => ({
        minute, method: 'GET', route: `/r/${i}`, statusClass: '2xx', count: 1, errors: 0, durationSum: 1, durationMin: 1, durationMax: 1, bytes: 0, sketch,
      }));
    } else {
      b.samples = Array.from({ length: count }, (_, i) => ({ timestamp: minute, method: 'GET', path: `/r/${i}`, route: `/r/${i}`, statusCode: 200, duration: 1 }));
    }
  });
}

type Case = [name: string, body: () => unknown, options: IngestOptions, status: number, code: string, message: RegExp];

const CASES: Case[] = [
  ['no key', () => makeBatch(), { key: null }, 401, 'unauthorized', /missing ingest key/],
  ['wrong key', () => makeBatch(), { key: 'not-a-key' }, 401, 'unauthorized', /invalid ingest key/],
  ['a read key', () => makeBatch(), { key: KEYS.shopRead }, 401, 'unauthorized', /invalid ingest key/],
  ['basic auth instead of a bearer key', () => makeBatch(), { key: null, headers: { authorization: 'Basic c2hvcDpzaG9w' } }, 401, 'unauthorized', /missing ingest key/],
  ['the key of another app', () => makeBatch(), { key: KEYS.blogIngest }, 403, 'wrong_app', /^identity\.app "shop" is not the app of this ingest key \("blog"\): set BUN_APM_APP=blog, or use shop's own key$/],
  ['text/plain', () => makeBatch(), { headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type', /expected Content-Type: application\/json, got "text\/plain"/],
  ['form content type', () => makeBatch(), { headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type', /application\/json/],
  ['brotli encoding', () => makeBatch(), { headers: { 'content-encoding': 'br' } }, 415, 'unsupported_encoding', /"br" is not supported/],
  ['invalid gzip', () => 'this is not gzip at all', { headers: { 'content-encoding': 'gzip' } }, 400, 'invalid_gzip', /not valid gzip/],
  ['truncated gzip', () => Bun.gzipSync(new TextEncoder().encode(JSON.stringify(makeBatch()))).subarray(0, 60), { headers: { 'content-encoding': 'gzip' } }, 400, 'invalid_gzip', /not valid gzip/],
  ['gzip bomb (30 MiB of zeros in a small body)', () => new Uint8Array(30 * MIB), { gzip: true }, 413, 'payload_too_large', /inflates past the cap of 8 MiB/],
  ['plain body over 8 MiB', () => new Uint8Array(9 * MIB).fill(32), {}, 413, 'payload_too_large', /over the cap of 8 MiB/],
  ['gzip body over 5 MiB', () => crypto.getRandomValues(new Uint8Array(6 * MIB)), { headers: { 'content-encoding': 'gzip' } }, 413, 'payload_too_large', /over the cap of 5 MiB \(compressed\)/],
  ['empty body', () => '', {}, 400, 'empty_body', /expected a JSON batch/],
  ['invalid JSON', () => '{"version": 1, "batchId": ', {}, 400, 'invalid_json', /not valid JSON/],
  ['invalid UTF-8', () => new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), {}, 400, 'invalid_utf8', /not valid UTF-8/],
  ['a JSON array', () => [makeBatch()], {}, 422, 'invalid_batch', /expected a batch object, got an array/],
  ['JSON null', () => 'null', {}, 422, 'invalid_batch', /expected (a batch )?object/],
  ['unknown format version', () => broken((b) => (b.version = 2)), {}, 422, 'invalid_batch', /version: expected 1 \(the only format version this edge reads\)/],
  ['missing batch id', () => broken((b) => delete b.batchId), {}, 422, 'invalid_batch', /batchId: missing/],
  ['timestamp from 1970', () => broken((b) => (b.samples[0].timestamp = 5)), {}, 422, 'invalid_batch', /samples\[0\]\.timestamp: expected a time in ms since the epoch/],
  ['data from next year', () => makeBatch(Date.now() + YEAR), {}, 422, 'invalid_batch', /window\.start: in the future/],
  ['data from last month', () => makeBatch(Date.now() - 30 * 86_400_000), {}, 422, 'invalid_batch', /too old/],
  ['status code 42', () => broken((b) => (b.samples[0].statusCode = 42)), {}, 422, 'invalid_batch', /samples\[0\]\.statusCode: expected integer 100\.\.599/],
  ['negative duration', () => broken((b) => (b.spans[0].duration = -1)), {}, 422, 'invalid_batch', /spans\[0\]\.duration: expected a finite number ≥ 0/],
  ['unknown field', () => broken((b) => (b.identity.password = 'x')), {}, 422, 'invalid_batch', /identity\.password: expected object with known fields only/],
  ['sketch not base64', () => broken((b) => (b.rollups[0].sketch = '%%%')), {}, 422, 'invalid_batch', /rollups\[0\]\.sketch: expected a base64 quantile sketch/],
  ['errors above count', () => broken((b) => (b.rollups[0].errors = 99)), {}, 422, 'invalid_batch', /rollups\[0\]\.errors: expected errors ≤ count/],
  ['span kind unknown', () => broken((b) => (b.spans[0].kind = 'producer')), {}, 422, 'invalid_batch', /spans\[0\]\.kind: expected one of server, client, internal/],
  ['route too long', () => broken((b) => (b.rollups[0].route = '/x'.repeat(200))), {}, 422, 'invalid_batch', /rollups\[0\]\.route: expected string of 1\.\.256 characters/],
  // As rollup cells the batch inflates past 8 MiB; as samples it fits and the validator refuses it.
  ['100,000 distinct routes in rollup cells', () => distinctRoutes(100_000, 'rollups'), { gzip: true }, 413, 'payload_too_large', /inflates past the cap of 8 MiB/],
  ['50,000 distinct routes in samples', () => distinctRoutes(50_000, 'samples'), { gzip: true }, 422, 'invalid_batch', /samples: expected array of at most 5000 items, got 50000/],
];

beforeAll(async () => {
  edge = await startEdge();
  await ingestOk(edge, makeBatch());
  await ingestOk(edge, makeBatch(Date.now() - 120_000), { gzip: true });
  before = await storedRecords(edge);
  statusBefore = (await apiOk(edge, '/api/v1/apps/shop/status')).rows;
});

afterAll(async () => {
  await edge?.dispose();
});

describe('bad input gets a clear 4xx and changes nothing', () => {
  test(`at least 25 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(before.length).toBeGreaterThan(0);
  });

  for (const [name, body, options, status, code, message] of CASES) {
    test(name, async () => {
      const response = await ingest(edge, body(), options);
      const answer: any = await response.json();
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.error.code).toBe(code);
      expect(answer.error.message).toMatch(message);
      if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bun-apm"');
      if (code === 'invalid_batch') expect(answer.error.problems.length).toBeGreaterThan(0);
    });
  }

  test('a hostile batch gets a bounded list of problems', async () => {
    const response = await ingest(edge, broken((b) => (b.samples = Array.from({ length: 5_000 }, () => ({ statusCode: 'x' })))));
    const answer: any = await response.json();
    expect(response.status).toBe(422);
    expect(answer.error.problems.length).toBe(20);
    expect(answer.error.message).toMatch(/\(and 15 more\)$/);
  });

  test('GET on the ingest endpoint is 405 with Allow', async () => {
    const response = await fetch(new URL('/v1/ingest', edge.url));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(((await response.json()) as any).error.code).toBe('method_not_allowed');
  });

  test('the store is unchanged afterwards', async () => {
    expect(await storedRecords(edge)).toEqual(before);
    expect((await apiOk(edge, '/api/v1/apps/shop/status')).rows).toEqual(statusBefore);
  });
});
