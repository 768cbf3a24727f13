// The rules API's body in workerd: an encoded body or a declared type that is not JSON is a 415
// naming it (an encoded body was read as plain text: a gzip body got a misleading "expected a JSON
// object", a gzip header over a plain body was stored), and nothing stored changes; the README's
// curl examples, which send no type (`-d`: curl's form type over a JSON body), still work.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { KEYS, apiOk, startEdge } from '../support/edge.ts';

const RULES = '/api/v1/apps/shop/rules';
const RULE = { id: 'checkout-p95', name: 'Checkout p95', metric: 'p95', route: '/checkout', condition: 'gt', threshold: 800, severity: 'critical', duration: 300_000 };
const ACCEPTED = "Content-Type: application/json (or a +json type; none, or curl -d's default application/x-www-form-urlencoded with a JSON body, is read as JSON too)";
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startEdge();
}, 60_000);

afterAll(async () => {
  await edge?.dispose();
});

async function send(method: string, path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  // A fresh connection each time: a refused body may leave the runtime closing the socket.
  const response = await fetch(new URL(path, edge.url), { method, headers: { 'x-api-key': KEYS.admin, ...headers }, body, keepalive: false });
  return { status: response.status, body: await response.json() };
}

const stored = async () => (await apiOk(edge, RULES)).rules as unknown[];

/** curl as a shell would run it: `args` after `curl`, `$EDGE` and `$ADMIN_API_KEY` filled in; its status and body. */
async function curl(...args: string[]): Promise<{ status: number; body: any }> {
  const filled = args.map((a) => a.replaceAll('$EDGE', String(edge.url).replace(/\/$/, '')).replaceAll('$ADMIN_API_KEY', KEYS.admin));
  const child = Bun.spawn(['curl', '-sS', '--max-time', '20', '-w', '\n%{http_code}', ...filled], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error(`curl failed: ${await new Response(child.stderr).text()}`);
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), body: JSON.parse(out.slice(0, at)) };
}

describe('rules API bodies', () => {
  test('a Content-Encoding other than identity is a 415 naming it, plain or really encoded; nothing is stored', async () => {
    const json = JSON.stringify(RULE);
    const cases: Array<[Record<string, string>, string | Uint8Array<ArrayBuffer>, string]> = [
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, json, 'gzip'],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, Bun.gzipSync(new TextEncoder().encode(json)) as Uint8Array<ArrayBuffer>, 'gzip'],
      [{ 'content-type': 'application/json', 'content-encoding': 'BR' }, json, 'br'],
    ];
    for (const [headers, body, named] of cases) {
      expect(await send('POST', RULES, body, headers)).toEqual({
        status: 415, body: { error: { code: 'unsupported_encoding', message: `Content-Encoding "${named}" is not supported here: send the rule as plain JSON, without Content-Encoding` } },
      });
    }
    const patched = await send('PATCH', `${RULES}/checkout-p95`, JSON.stringify({ threshold: 1 }), { 'content-type': 'application/json', 'content-encoding': 'deflate' });
    expect(patched.status).toBe(415);
    expect(await stored()).toEqual([]);
  }, 30_000);

  test('a Content-Type that is not JSON is a 415 naming it and what is accepted; nothing is stored', async () => {
    const cases: Array<[string, string, string]> = [
      ['application/x-www-form-urlencoded', 'id=checkout-p95&name=Checkout&metric=p95', `Content-Type "application/x-www-form-urlencoded" with a body that is not JSON (a form?): send ${ACCEPTED}`],
      ['text/plain;charset=UTF-8', JSON.stringify(RULE), `Content-Type "text/plain" is not accepted: send ${ACCEPTED}`],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="id"\r\n\r\nr\r\n--x--\r\n', `Content-Type "multipart/form-data" is not accepted: send ${ACCEPTED}`],
      ['application/jsonx', JSON.stringify(RULE), `Content-Type "application/jsonx" is not accepted: send ${ACCEPTED}`],
      ['application/json; charset=iso-8859-1', JSON.stringify(RULE), 'Content-Type charset "iso-8859-1" is not accepted: send JSON in UTF-8'],
    ];
    for (const [type, body, message] of cases) {
      expect([type, await send('POST', RULES, body, { 'content-type': type })]).toEqual([type, { status: 415, body: { error: { code: 'unsupported_media_type', message } } }]);
    }
    expect(await stored()).toEqual([]);
    // A JSON type over a body that is not JSON stays the 400 it was.
    expect((await send('POST', RULES, '{"id":', { 'content-type': 'application/json' })).body.error.code).toBe('invalid_json');
  }, 30_000);

  test("JSON types, no type, and the README's curl examples are read", async () => {
    // README: curl -X POST -H "X-API-Key: $ADMIN_API_KEY" $EDGE/api/v1/apps/shop/rules -d '{…}' (curl labels it a form).
    const created = await curl('-X', 'POST', '-H', 'X-API-Key: $ADMIN_API_KEY', '$EDGE/api/v1/apps/shop/rules',
      '-d', '{"id":"checkout-p95","name":"Checkout p95","metric":"p95","route":"/checkout","condition":"gt","threshold":800,"duration":300000,"for":120000,"severity":"critical"}');
    expect(created.status).toBe(201);
    expect(created.body.rule).toMatchObject({ id: 'checkout-p95', threshold: 800, for: 120_000 });
    const patched = await curl('-X', 'PATCH', '-H', 'X-API-Key: $ADMIN_API_KEY', '$EDGE/api/v1/apps/shop/rules/checkout-p95', '-d', '{"threshold":900,"for":null}');
    expect([patched.status, patched.body.rule.threshold]).toEqual([200, 900]);
    // No Content-Type at all (curl's `-H 'Content-Type:'` removes it).
    const untyped = await curl('-X', 'PATCH', '-H', 'X-API-Key: $ADMIN_API_KEY', '-H', 'Content-Type:', '$EDGE/api/v1/apps/shop/rules/checkout-p95', '-d', '{"threshold":910}');
    expect([untyped.status, untyped.body.rule.threshold]).toEqual([200, 910]);
    for (const [type, threshold] of [['application/json', 920], ['application/json; charset=UTF-8', 930], ['application/merge-patch+json', 940]] as const) {
      const answer = await send('PATCH', `${RULES}/checkout-p95`, JSON.stringify({ threshold }), { 'content-type': type, 'content-encoding': 'identity' });
      expect([type, answer.status, answer.body.rule?.threshold]).toEqual([type, 200, threshold]);
    }
    const deleted = await curl('-X', 'DELETE', '-H', 'X-API-Key: $ADMIN_API_KEY', '$EDGE/api/v1/apps/shop/rules/checkout-p95');
    expect(deleted.status).toBe(200);
    expect(await stored()).toEqual([]);
  }, 60_000);
});
