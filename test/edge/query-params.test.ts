// The JSON API's query strings, in workerd: a parameter given more than once, or one the endpoint
// does not read (a misspelling), is a 400 naming it, where it used to be read by its first value or
// ignored; every parameter an endpoint reads, and every README example, still answers.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { QUERY_NAMES } from '../../src/edge/http/query-names.ts';
import { api, KEYS, startEdge } from './support/edge.ts';

let edge: LocalEdge;
const NOW = Date.now();
const MINUTE = 60_000;
const to = NOW - (NOW % MINUTE);
const from = to - 60 * MINUTE;

beforeAll(async () => {
  edge = await startEdge();
}, 60_000);

afterAll(async () => {
  await edge?.dispose();
});

/** A value each name takes on the endpoints that read it (a cursor is only good when an answer gave it). */
const GOOD: Record<string, Record<string, string> & { '*'?: string }> = {
  from: { '*': String(from) }, to: { '*': String(to) }, step: { '*': '60000' }, route: { '*': '/x' }, method: { '*': 'GET' },
  apdexThreshold: { '*': '500' }, metric: { '*': 'p50,p95' }, sort: { routes: 'p95', traces: 'slowest' }, order: { '*': 'desc' },
  limit: { '*': '10' }, status: { '*': '5xx' }, minDuration: { '*': '1' }, errors: { '*': 'true' }, instance: { '*': 'host-1:1' }, days: { '*': '7' },
};

// Endpoints of one thing (a rule, a trace) need an id that exists: their lists are empty, checked above.
const READABLE = Object.entries(QUERY_NAMES).filter(([path]) => !path.includes('/:id') && !path.includes('/:traceId'));
const endpointOf = (path: string) => path.split('/').pop()!;

describe('query parameters of the JSON API', () => {
  test('a parameter given more than once is a 400 naming it, whichever value comes first', async () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/apps/shop/routes?limit=1&limit=99999', 'limit: given 2 times; give it once'],
      ['/api/v1/apps/shop/routes?limit=99999&limit=1', 'limit: given 2 times; give it once'],
      [`/api/v1/apps/shop/summary?from=${from}&from=${from + MINUTE}`, 'from: given 2 times; give it once'],
      ['/api/v1/apps/shop/samples?status=5xx&status=4xx&status=2xx', 'status: given 3 times; give it once'],
      ['/api/v1/apps/shop/samples?cursor=a&cursor=b', 'cursor: given 2 times; give it once'],
      ['/api/v1/apps/shop/timeseries?metric=p50&metric=p95', 'metric: given 2 times; give it once'],
      ['/api/v1/apps/shop/traces?errors=true&errors=false', 'errors: given 2 times; give it once'],
      ['/api/v1/apps/shop/usage?days=1&days=40', 'days: given 2 times; give it once'],
      ['/api/v1/apps/shop/alerts?limit=1&limit=2', 'limit: given 2 times; give it once'],
    ];
    for (const [path, message] of cases) {
      expect([path, await api(edge, path)]).toEqual([path, { status: 400, body: { error: { code: 'invalid_parameter', message } } }]);
    }
  }, 30_000);

  test('a number the API does not read says what it reads (1e308 was told "expected a number 0..1.7976931348623157e+308")', async () => {
    const durations = 'minDuration: expected a decimal number from 0 to 2592000000, such as 250 or 12.5 (no sign or exponent)';
    const cases: Array<[string, string]> = [
      ['/api/v1/apps/shop/samples?minDuration=1e308', durations],
      ['/api/v1/apps/shop/traces?minDuration=-5', durations],
      ['/api/v1/apps/shop/traces?minDuration=2592000001', durations],
      ['/api/v1/apps/shop/summary?apdexThreshold=0.5', 'apdexThreshold: expected a decimal number from 1 to 600000, such as 250 or 12.5 (no sign or exponent)'],
    ];
    for (const [path, message] of cases) {
      expect([path, await api(edge, path)]).toEqual([path, { status: 400, body: { error: { code: 'invalid_parameter', message } } }]);
    }
    expect((await api(edge, '/api/v1/apps/shop/traces?minDuration=2592000000')).status).toBe(200);
  }, 30_000);

  test('a name the endpoint does not read is a 400 naming it and listing the ones it reads', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['/api/v1/apps/shop/routes?lmit=5', 'lmit', ['from', 'to', 'step', 'route', 'method', 'apdexThreshold', 'sort', 'order', 'limit']],
      ['/api/v1/apps/shop/traces?sortt=slowest', 'sortt', ['from', 'to', 'route', 'method', 'minDuration', 'errors', 'sort', 'limit', 'cursor']],
      ['/api/v1/apps/shop/live?from=0', 'from', ['route', 'method', 'apdexThreshold']],
      ['/api/v1/apps/shop/export.ndjson?form=0', 'form', ['from', 'to']],
      ['/api/v1/apps/shop/usage?day=7', 'day', ['days']],
      ['/api/v1/apps/shop/alerts?Limit=5', 'Limit', ['limit']],
    ];
    for (const [path, name, accepted] of cases) {
      const message = `${name}: unknown parameter; this endpoint reads ${accepted.join(', ')}`;
      expect([path, await api(edge, path)]).toEqual([path, { status: 400, body: { error: { code: 'invalid_parameter', message, accepted } } }]);
    }
    // Those that read none refuse any (a review found these open while the docs said every endpoint).
    for (const path of ['/api/v1/apps/shop/rules?app=shop', '/api/v1/apps?_=1', '/api/v1/usage?days=7', '/api/v1/apps/shop/instances?_=1', '/api/v1/apps/shop/status?x=1', `/api/v1/apps/shop/traces/${'a'.repeat(32)}?x=1`]) {
      const name = new URL(path, 'http://edge').searchParams.keys().next().value!;
      expect([path, await api(edge, path)]).toEqual([path, { status: 400, body: { error: { code: 'invalid_parameter', message: `${name}: unknown parameter; this endpoint takes no query parameters`, accepted: [] } } }]);
    }
    // The check comes after the key's: a stranger learns nothing of the parameters.
    expect((await api(edge, '/api/v1/apps/shop/routes?lmit=5', 'wrong-key-0123456789')).status).toBe(401);
  }, 30_000);

  test('every parameter an endpoint reads answers, all at once', async () => {
    for (const [template, names] of READABLE) {
      const endpoint = endpointOf(template);
      const query = new URLSearchParams();
      for (const name of names.filter((n) => n !== 'cursor')) {
        const value = GOOD[name]?.[endpoint] ?? GOOD[name]?.['*'];
        if (value === undefined) throw new Error(`no test value for ${name} of ${template}`);
        query.set(name, value);
      }
      const path = `${template.replace(':app', 'shop')}?${query}`;
      const answer = await api(edge, path);
      expect([path, answer.status, answer.body]).toEqual([path, 200, answer.body]);
      if (names.includes('cursor')) {
        // Read, not refused as unknown: a cursor no answer gave is a bad value.
        const cursor = await api(edge, `${template.replace(':app', 'shop')}?cursor=not-a-cursor`);
        expect([template, cursor.status, cursor.body.error.message]).toEqual([template, 400, expect.stringMatching(/^cursor/)]);
      }
    }
  }, 60_000);

  test("the README's examples answer", async () => {
    const examples = [
      '/api/v1/apps', `/api/v1/apps/shop/summary?from=${from}&to=${to}`, '/api/v1/apps/shop/live', '/api/v1/apps/shop/timeseries?metric=p50,p95,rps,errorRate&step=30000',
      '/api/v1/apps/shop/routes?sort=p95&order=desc&limit=50', '/api/v1/apps/shop/samples?route=/orders&status=5xx&limit=100',
      '/api/v1/apps/shop/traces?sort=slowest&errors=true&minDuration=200', '/api/v1/apps/shop/profiles?instance=host-1:1234', '/api/v1/apps/shop/instances',
      '/api/v1/apps/shop/export.ndjson?from=0', '/api/v1/apps/shop/usage?days=7', '/api/v1/usage', '/api/v1/apps/shop/rules', '/api/v1/apps/shop/alerts?limit=50',
    ];
    for (const path of examples) expect([path, (await api(edge, path, KEYS.shopRead)).status]).toEqual([path, 200]);
  }, 60_000);
});
