// RequestTracer in-process: propagation, redaction, bodies, the span timeout, exporters, the
// preload's context, and 1,000 concurrent requests whose children never cross.
import { afterEach, describe, expect, test } from 'bun:test';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';
import { Recorder } from '../../src/plugin/runtime/recorder.ts';
import { instrument, performanceAlerting, performanceMonitor, requestTracer, TIMED_OUT_TAG, type TraceSpan } from '../../src/middleware/index.ts';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { LIMITS } from '../../src/core/wire-format.ts';
import { exporterTarget } from '../../src/plugin/runtime/exporters/exporter-config.ts';
import { waitFor } from '../plugin/support/wait-for.ts';
import { makeBatch } from '../support/batch.ts';
import { Router, startSink } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
});

function traced(options: Parameters<typeof requestTracer>[0] = {}) {
  const tracer = requestTracer({ sampleRate: 1, ...options });
  closers.push(tracer.close);
  const router = new Router().use(tracer);
  router.get('/users/:id', (req) => Response.json({ traceId: req.traceId, spanId: req.spanId }));
  router.post('/echo', async (req) => new Response(await req.text(), { headers: { 'content-type': 'application/json', 'set-cookie': 'session=abc' } }));
  return { tracer, router };
}

function serverSpan(spans: TraceSpan[]): TraceSpan {
  const found = spans.find((s) => s.kind === 'server');
  if (!found) throw new Error('no server span');
  return found;
}

describe('propagation', () => {
  test('a W3C traceparent is continued, tracestate kept, and the response carries our span', async () => {
    const { tracer, router } = traced({ sampleRate: 0 });
    const res = await router.fetch(new Request('http://app.test/users/1', {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=abc', 'x-trace-id': 'ffffffffffffffffffffffffffffffff' },
    }));
    const body = (await res.json()) as { traceId: string; spanId: string };
    expect(body.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(body.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(res.headers.get('traceparent')).toBe(`00-0af7651916cd43dd8448eb211c80319c-${body.spanId}-01`);
    expect(res.headers.get('tracestate')).toBe('vendor=abc');
    const span = serverSpan(tracer.getRecentSpans());
    expect(span).toMatchObject({ traceId: body.traceId, spanId: body.spanId, parentSpanId: 'b7ad6b7169203331', status: 'unset', name: 'GET /users/:id' });
    expect([span.tags['http.target'], span.tags['http.route']]).toEqual(['/users/1', '/users/:id']);
    expect(span.tags['http.status_code']).toBe(200);
  });

  test('an unsampled traceparent is passed on without recording spans', async () => {
    const { tracer, router } = traced();
    const res = await router.fetch(new Request('http://app.test/users/1', { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' } }));
    const body = (await res.json()) as { spanId: string };
    expect(res.headers.get('traceparent')).toBe(`00-0af7651916cd43dd8448eb211c80319c-${body.spanId}-00`);
    expect(tracer.getRecentSpans()).toEqual([]);
    expect(tracer.createChildSpan(body.spanId, 'x')).toBeNull();
  });

  test('x-trace-id / x-span-id are the fallback, and configured header names are honoured', async () => {
    const { tracer, router } = traced({ sampleRate: 0 });
    const res = await router.fetch(new Request('http://app.test/users/2', { headers: { 'x-trace-id': 'ABCDEF0123456789ABCDEF0123456789', 'x-span-id': '00f067aa0ba902b7' } }));
    const body = (await res.json()) as { traceId: string };
    expect(body.traceId).toBe('abcdef0123456789abcdef0123456789');
    expect(serverSpan(tracer.getRecentSpans()).parentSpanId).toBe('00f067aa0ba902b7');

    const custom = traced({ sampleRate: 0, propagation: { enabled: true, headers: ['x-request-trace', 'x-request-span'] } });
    const res2 = await custom.router.fetch(new Request('http://app.test/users/3', { headers: { 'x-request-trace': '463ac35c9f6413ad', 'x-trace-id': 'abcdef0123456789abcdef0123456789' } }));
    expect(((await res2.json()) as { traceId: string }).traceId).toBe('0000000000000000463ac35c9f6413ad');

    const off = traced({ sampleRate: 0, propagation: { enabled: false } });
    const res3 = await off.router.fetch(new Request('http://app.test/users/4', { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }));
    expect(((await res3.json()) as { traceId?: string }).traceId).toBeUndefined();
    expect(res3.headers.get('traceparent')).toBeNull();
  });

  test('with the preload in the process, its trace is adopted and children hang off its server span', async () => {
    const preloadSpans: TraceSpan[] = [];
    const preload = new Recorder({ sampleRate: 0, traceSampleRate: 1, log: createLog(false), spanSink: (s) => preloadSpans.push(s) });
    setProcessRecorder(preload);
    const tracer = requestTracer({ sampleRate: 1 });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    let child: string | null = null;
    router.get('/p', (req) => {
      child = tracer.createChildSpan(req.spanId!, 'db');
      tracer.finish(child!, 'ok');
      return new Response('p');
    });
    const req = new Request('http://app.test/p');
    const state = preload.begin(req)!;
    preload.respond(state, await router.fetch(req));
    // The child, then the preload's server span (the preload records it; the tracer's copy joins its recent spans once its captures are read).
    await tracer.flush();
    const spans = [...tracer.getRecentSpans()];
    expect(spans.length).toBe(2);
    expect(spans[0]).toMatchObject({ traceId: state.traceId, parentSpanId: state.spanId, name: 'db' });
    expect(spans[1]).toMatchObject({ traceId: state.traceId, spanId: state.spanId, kind: 'server', name: 'GET /p' });
    // No exporters of its own: the child went to the preload's exporters, next to the server span.
    expect(preloadSpans.map((s) => s.kind).sort()).toEqual(['internal', 'server']);
  });

  test('a backend the preload already ships to gets each span of its traces once; one of its own gets them too', async () => {
    const shared = startSink();
    const own = startSink();
    closers.push(shared.stop, own.stop);
    const preloadSpans: TraceSpan[] = [];
    const preload = new Recorder({ sampleRate: 0, traceSampleRate: 1, log: createLog(false), spanSink: (s) => preloadSpans.push(s) });
    // As the preload's config names it; the tracer's entry differs by a trailing slash: the same URL posted to (had got each span twice).
    preload.exportTargets = new Set(['edge', exporterTarget({ type: 'zipkin', endpoint: shared.url })!]);
    setProcessRecorder(preload);
    const sameBackend = `${shared.url}/`;
    const tracer = requestTracer({ sampleRate: 1, exporters: [{ type: 'zipkin', endpoint: sameBackend }, { type: 'zipkin', endpoint: own.url }] });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    router.get('/p', (req) => {
      tracer.finish(tracer.createChildSpan(req.spanId!, 'db')!, 'ok');
      return new Response('p');
    });
    const req = new Request('http://app.test/p');
    const state = preload.begin(req)!;
    preload.respond(state, await router.fetch(req));
    await tracer.flush();
    const posted = (sink: ReturnType<typeof startSink>) => sink.requests.flatMap((r) => JSON.parse(new TextDecoder().decode(r.body)) as Array<{ id: string; kind?: string }>);
    // The preload ships both spans to the shared backend itself (its exporters): the tracer sends it none.
    expect(posted(shared)).toEqual([]);
    expect(preloadSpans.map((s) => s.kind).sort()).toEqual(['internal', 'server']);
    // Its own backend gets the whole trace.
    expect(posted(own).map((s) => s.id).sort()).toEqual(preloadSpans.map((s) => s.spanId).sort());
  });

  test('the edge exporter works where the preload runs (spans join its own) and is refused where it does not', async () => {
    expect(() => requestTracer({ exporters: [{ type: 'edge' }] })).toThrow(/preload/);
    const preloadSpans: TraceSpan[] = [];
    const preload = new Recorder({ sampleRate: 0, traceSampleRate: 0, log: createLog(false), spanSink: (s) => preloadSpans.push(s) });
    setProcessRecorder(preload);
    const tracer = requestTracer({ sampleRate: 1, exporters: [{ type: 'edge' }] });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    router.get('/e', () => new Response('e'));
    const req = new Request('http://app.test/e');
    const state = preload.begin(req)!;
    preload.respond(state, await router.fetch(req));
    // A request the preload does not record (called in-process, not served) is not shipped by it either.
    await router.fetch(new Request('http://app.test/e'));
    await tracer.flush();
    expect(preloadSpans.map((s) => [s.name, s.spanId])).toEqual([['GET /e', state.spanId!]]);
    expect(tracer.getRecentSpans().map((s) => s.name)).toEqual(['GET /e', 'GET /e']);
  });
});

/** A real Bun server over `fetch`, stopped after the test. */
function served(fetch: (req: Request, server: unknown) => Promise<Response>): string {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
  closers.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

describe('on a real Bun server (found by a review of the explicit API)', () => {
  test('behind the monitor, as the README chains them, a caller\'s sampled trace gets its server span and the child hangs off it', async () => {
    const monitor = performanceMonitor({ sampleRate: 1 });
    const tracer = requestTracer({ sampleRate: 0 });
    closers.push(tracer.close, monitor.close);
    const base = served(instrument((req) => {
      const child = tracer.createChildSpan(req.spanId!, 'db');
      if (child) tracer.finish(child);
      return new Response('ok');
    }, monitor, tracer));
    const parent = 'b7ad6b7169203331';
    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${base}/users/7`, { headers: { traceparent: `00-0af7651916cd43dd8448eb211c80319c-${parent}-01` } })));
    await tracer.flush();
    const spans = tracer.getRecentSpans();
    const servers = spans.filter((s) => s.kind === 'server');
    // The monitor's recorder had claimed the caller's context as the preload's: 0 server spans, 30 orphan children.
    expect([servers.length, spans.length - servers.length]).toEqual([30, 30]);
    expect(servers.every((s) => s.parentSpanId === parent)).toBe(true);
    const serverIds = new Set(servers.map((s) => s.spanId));
    expect(spans.filter((s) => s.kind !== 'server').every((s) => serverIds.has(s.parentSpanId!))).toBe(true);
    expect(answers.map((a) => a.headers.get('traceparent')?.split('-')[2]).every((id) => serverIds.has(id!))).toBe(true);
  });

  test('the monitor alone names the caller\'s trace in its records, and sends back no traceparent of a span nobody records', async () => {
    const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
    closers.push(monitor.close);
    const base = served(instrument(() => new Response('ok'), monitor));
    const answer = await fetch(`${base}/users/7`, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    expect([answer.status, answer.headers.get('traceparent')]).toEqual([200, null]);
    expect(monitor.getMetrics().map((m) => m.traceId)).toEqual(['0af7651916cd43dd8448eb211c80319c']);
  });

  test('the body of a request whose handler throws is captured too: it is the one to debug', async () => {
    const tracer = requestTracer({ sampleRate: 1, includeRequestBody: true });
    closers.push(tracer.close);
    const handler = instrument(() => {
      throw new Error('boom');
    }, tracer);
    // The app's own catch-all, as a framework's error handler answers.
    const base = served(async (req, server) => handler(req, server as never).catch(() => new Response('failed', { status: 500 })));
    const body = JSON.stringify({ order: 42, note: 'y'.repeat(20) });
    expect((await fetch(`${base}/orders`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(500);
    await tracer.flush();
    const span = serverSpan(tracer.getRecentSpans());
    expect(span.status).toBe('error');
    expect(span.tags['http.request.body']).toBe(body);
  });

  test('a text body the handler never reads is captured too; a streamed answer within a short spanTimeout ends without error', async () => {
    const tracer = requestTracer({ sampleRate: 1, includeRequestBody: true, includeResponseBody: true, spanTimeout: 500 });
    closers.push(tracer.close);
    const base = served(instrument((req) => {
      if (new URL(req.url).pathname.startsWith('/refuse')) return new Response('no', { status: 401 });
      let n = 0;
      const stream = new ReadableStream({
        async pull(controller) {
          await Bun.sleep(150);
          if (n++ === 4) controller.close();
          else controller.enqueue(new TextEncoder().encode(`data: ${n}\n\n`));
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    }, tracer));
    const body = JSON.stringify({ user: 'ada', note: 'x'.repeat(40) });
    expect((await fetch(`${base}/refuse`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // A body still trickling in does not hold the answer back (waiting for its capture had, up to 1 s;
    // the bound leaves a loaded machine room and still fails that hold).
    let sent = 0;
    const trickle = new ReadableStream({
      async pull(controller) {
        await Bun.sleep(200);
        if (sent++ === 10) controller.close();
        else controller.enqueue(new TextEncoder().encode('{"part":1}'));
      },
    });
    const started = performance.now();
    const trickled = await fetch(`${base}/refuse-slow`, { method: 'POST', body: trickle, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect([trickled.status, performance.now() - started < 500]).toEqual([401, true]);
    expect(await (await fetch(`${base}/events`)).text()).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    await tracer.flush();
    await Bun.sleep(600); // past the span timeout: a span still open would now be swept as timed out
    const spans = tracer.getRecentSpans();
    const refused = spans.find((s) => s.name === 'POST /refuse')!;
    expect(refused.tags['http.request.body']).toBe(body);
    const streamed = spans.find((s) => s.name === 'GET /events')!;
    expect([streamed.status, streamed.tags['http.status_code'], streamed.tags[TIMED_OUT_TAG]]).toEqual(['unset', 200, undefined]);
  });

  test('a handler that returns no Response: the tracer and the alerting throw nothing; the span is a 500 error naming it', async () => {
    const tracer = requestTracer({ sampleRate: 1 });
    const alerting = performanceAlerting({ rules: [] });
    closers.push(tracer.close, () => alerting.close());
    const handler = instrument(() => undefined as unknown as Response, alerting, tracer);
    expect(await handler(new Request('http://app.test/users/1'), undefined)).toBeUndefined();
    await tracer.flush();
    const span = serverSpan(tracer.getRecentSpans());
    expect([span.status, span.tags['http.status_code'], span.error]).toEqual(['error', 500, 'no Response: the handler returned undefined']);
    expect(tracer.getActiveSpans()).toEqual([]);
  });
});

describe('what spans say', () => {
  test('sensitive headers are always redacted; others kept when includeHeaders', async () => {
    const { tracer, router } = traced({ includeHeaders: true });
    await router.fetch(new Request('http://app.test/echo', {
      method: 'POST', body: '{}',
      headers: { authorization: 'Bearer secret-token', cookie: 'sid=secret', 'x-api-key': 'secret-key', 'proxy-authorization': 'Basic c2VjcmV0', accept: 'application/json', 'content-type': 'application/json' },
    }));
    const tags = serverSpan(tracer.getRecentSpans()).tags;
    for (const name of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization']) expect(tags[`http.request.header.${name}`]).toBe('[REDACTED]');
    expect(tags['http.response.header.set-cookie']).toBe('[REDACTED]');
    expect(tags['http.request.header.accept']).toBe('application/json');
    expect(JSON.stringify(tracer.getRecentSpans())).not.toContain('secret');
  });

  // The whole rule: case-insensitive whole words split at `-`, `_`, `.` and camelCase; `code` and `ticket`
  // only alone; run together, a secret word behind a credential-only prefix (`apitoken`, not `pagetoken`);
  // cursors, counts, public and lookup keys, and `*_code` stay visible for debugging.
  const REDACTED_NAMES = [
    'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'apikey', 'APIKEY', 'apiKey', 'api_key',
    'access_token', 'id_token', 'refresh_token', 'token', 'accesstoken', 'x-auth-token', 'x-csrf-token', 'csrf_token', 'X-Amz-Security-Token',
    'client_secret', 'secret', 'password', 'passwd', 'pwd', 'pass', 'passphrase', 'private_key', 'privateKey', 'access_key', 'secret_key',
    'signature', 'sig', 'X-Amz-Signature', 'jwt', 'session', 'session_id', 'sessionid', 'PHPSESSID', 'JSESSIONID', 'sid', 'connect.sid',
    'auth', 'auth_code', 'code', 'otp', 'totp', 'x-otp', 'pin', 'ssn', 'cvv', 'card_number', 'credit_card', 'ticket', 'SAMLResponse',
    'client_assertion', 'x-amzn-oidc-data', 'x-amzn-oidc-accesstoken', 'credential', 'credentials', 'x-auth-request-access-token',
    // Run-together lowercase compounds (a review found them raw): a secret word behind a credential-only prefix.
    'apitoken', 'authkey', 'sessiontoken', 'bearer', 'passcode', 'webhooktoken', 'x-apitoken', 'x-authkey', 'x-sessiontoken',
    'x-bearer', 'x-passcode', 'x-privatetoken', 'clientsecret', 'idtoken', 'refreshtoken', 'sessionkey', 'apisecret', 'userpassword',
    'dbpassword', 'smtp_userpassword', 'usertoken',
    // The review of that rule: names a header gives in lowercase, and real ones it had missed.
    'X-GithubToken', 'x-devicetoken', 'resetToken', 'npmtoken', 'sastoken', 'csrfmiddlewaretoken', 'x-storagekey', 'accountkey', 'hmacKey',
    'dbpass', 'x-shopify-hmac-sha256', 'hmac', '_csrf', 'x-xsrf', 'code_verifier', 'oauth_verifier', 'mfa_code', 'verification_code', '2fa',
    'magic_link', 'pw', 'creds', 'x-firebase-appcheck',
    // A third review: numbered names (Django's password1/password2), card and one-time codes.
    'password2', 'apiKey2', 'access_token2', 'token2', 'jwt2', 'cvc', 'card_cvc', 'cvv2', 'security_code', 'device_code', 'one_time_code',
    'otpcode', 'hotp', 'invite_code', 'activation_code', 'mnemonic', 'seed_phrase', 'iban', 'account_number',
    // Plural (the review of round four): a list of secrets is secret.
    'accessTokens', 'refresh_tokens', 'deviceTokens', 'apiKeys', 'api_keys', 'privateKeys', 'passwords', 'cookies', 'otps',
  ];
  const KEPT_NAMES = [
    'country_code', 'currency_code', 'error_code', 'status_code', 'lang_code', 'product_code', 'zip_code', 'zipcode', 'x-country-code',
    'x-error-code', 'x-response-code', 'max_tokens', 'tokens_used', 'page_token', 'pageToken', 'next_token', 'continuation_token',
    'public_key', 'publicKey', 'sort_key', 'partition_key', 'primary_key', 'cache_key', 'object_key', 'key_id', 'idempotency-key',
    'sec-websocket-key', 'session_count', 'pass_count', 'x-auth-request-email', 'page', 'monkey', 'keyboard', 'passenger', 'author',
    'authority', 'accept', 'user-agent', 'content-type', 'q', 'id', 'user_id', 'email', 'ticket_id',
    // The same run together: their first part is not one that only qualifies a credential.
    'pagetoken', 'nexttoken', 'publickey', 'sortkey', 'cachekey', 'maxtokens', 'idempotencykey', 'clientid', 'sessioncount',
    'apikeyid', 'keycode', 'bypass', 'compass',
    // What is said of a secret, not the secret; lookup keys; Twilio's ids: the review found them hidden.
    'token_type', 'auth_method', 'auth_provider', 'x-auth-user', 'cookie_consent', 'password_policy', 'otp_enabled', 'key_name', 'apikey_id',
    's3_key', 'bucket_key', 'hash_key', 'range_key', 'foreign_key', 'signature_version', 'SignatureMethod', 'CallSid', 'AccountSid',
    'x-request-sid', 'tokens_used', 'synctoken', 'tokenizer', 'keyword', 'turkey', 'spinner', 'signup',
    // The third review: a secret's lifetime or state; numbers that are part of a name.
    'session_duration', 'otp_sent', 'sessionState', 'session_timeout', 'token_ttl', 'md5', 'sha256', 'oauth2_provider', 'v2',
    // Plural alone: a model's token counts, a list of lookup keys.
    'tokens', 'keys', 'lookup_key',
  ];
  const table: Array<[string, boolean]> = [...REDACTED_NAMES.map((n) => [n, true] as [string, boolean]), ...KEPT_NAMES.map((n) => [n, false] as [string, boolean])];

  test('query values and headers whose names look secret are redacted; others kept', async () => {
    const { tracer, router } = traced({ includeHeaders: true });
    const seen: string[] = [];
    for (const [name] of table) {
      await router.fetch(new Request(`http://app.test/users/1?${encodeURIComponent(name)}=hunter`, { headers: { [name]: 'hunter' } }));
      const tags = serverSpan(tracer.getRecentSpans().slice(-1)).tags;
      const shown = (value: unknown) => (value === '[REDACTED]' ? 'redacted' : value === 'hunter' ? 'kept' : String(value));
      seen.push(`${name}: query ${shown(tags[`http.query.${name}`])}, header ${shown(tags[`http.request.header.${name.toLowerCase()}`])}`);
    }
    expect(seen).toEqual(table.map(([name, redacted]) => `${name}: query ${redacted ? 'redacted' : 'kept'}, header ${redacted ? 'redacted' : 'kept'}`));
  });

  test('query parameters as tags; text bodies up to the cap; binary bodies never; the handler still gets the whole body', async () => {
    const { tracer, router } = traced({ includeRequestBody: true, includeResponseBody: true, maxBodyBytes: 16 });
    const payload = JSON.stringify({ name: 'a'.repeat(100) });
    const res = await router.fetch(new Request('http://app.test/echo?page=2&sort=name', { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } }));
    expect(await res.text()).toBe(payload);
    await tracer.flush();
    const tags = serverSpan(tracer.getRecentSpans()).tags;
    expect(tags['http.query.page']).toBe('2');
    expect(tags['http.query.sort']).toBe('name');
    expect(tags['http.request.body']).toBe(payload.slice(0, 16));
    expect(tags['http.response.body']).toBe(payload.slice(0, 16));

    const binary = traced({ includeRequestBody: true, includeQueryParams: false });
    await binary.router.fetch(new Request('http://app.test/echo?page=2', { method: 'POST', body: new Uint8Array([1, 2, 3]), headers: { 'content-type': 'application/octet-stream' } }));
    await binary.tracer.flush();
    const binaryTags = serverSpan(binary.tracer.getRecentSpans()).tags;
    expect(binaryTags['http.request.body']).toBeUndefined();
    expect(binaryTags['http.query.page']).toBeUndefined();
  });

  test('a span never finished is closed by the timeout and marked so', async () => {
    const tracer = requestTracer({ sampleRate: 1, spanTimeout: 60 });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    let child: string | null = null;
    let spanId = '';
    router.get('/forgets', (req) => {
      spanId = req.spanId!;
      child = tracer.createChildSpan(spanId, 'forgotten');
      tracer.addTag(child!, 'attempt', 1);
      return new Response('ok');
    });
    await router.fetch(new Request('http://app.test/forgets'));
    expect(child).not.toBeNull();
    expect(tracer.getActiveSpans().map((s) => s.spanId)).toEqual([child!]);
    const closed = await waitFor(() => tracer.getRecentSpans().find((s) => s.spanId === child), 3000);
    expect(closed).toMatchObject({ status: 'error', parentSpanId: spanId, name: 'forgotten' });
    expect(closed!.tags[TIMED_OUT_TAG]).toBe(true);
    expect(closed!.tags.attempt).toBe(1);
    expect(closed!.duration).toBeGreaterThanOrEqual(60);
    expect(tracer.getActiveSpans()).toEqual([]);
  });

  test('a throwing handler gives an error span and the error reaches the caller', async () => {
    const tracer = requestTracer({ sampleRate: 1 });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    router.get('/boom', () => {
      throw new RangeError('out of range');
    });
    expect(router.fetch(new Request('http://app.test/boom'))).rejects.toThrow('out of range');
    const span = await waitFor(() => tracer.getRecentSpans()[0], 1000);
    expect(span).toMatchObject({ status: 'error', error: 'RangeError: out of range' });
    expect(span!.tags['http.status_code']).toBe(500);
  });

  test('whatever addTag, addLog and finish are given, the span passes the edge\'s own check (one it refused would cost the whole batch)', async () => {
    const { tracer, router } = traced();
    let child = '';
    router.get('/hostile', (req) => {
      child = tracer.createChildSpan((req as { spanId: string }).spanId, 'hostile')!;
      tracer.addTag(child, 'ratio', 0 / 0);
      tracer.addTag(child, 'limit', Number.POSITIVE_INFINITY);
      tracer.addTag(child, '', 'an empty key');
      for (let i = 0; i < 70; i++) tracer.addTag(child, `tag ${i}`, 'x'.repeat(5_000));
      tracer.addLog(child, '', 'no level');
      tracer.addLog(child, 'a level far longer than sixteen characters', 'long level');
      const fields = Object.fromEntries([['', 1], ['nan', Number.NaN], ...Array.from({ length: 4 }, (_, i) => [`field ${i}`, '"\u0001'.repeat(1_000)])]);
      for (let i = 0; i < 70; i++) tracer.addLog(child, 'info', 'm'.repeat(3_000), fields);
      tracer.finish(child, 's'.repeat(5_000), { toString: () => 'not a string' } as unknown as string);
      return new Response('ok');
    });
    await router.fetch(new Request('http://app.test/hostile'));
    const span = tracer.getRecentSpans().find((s) => s.spanId === child)!;
    const checked = validateBatch({ ...makeBatch(), spans: [span] });
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    expect(span.tags).toMatchObject({ ratio: 'NaN', limit: 'Infinity' });
    expect(Object.keys(span.tags)).toHaveLength(64);
    expect(span.logs.map((l) => l.level).slice(0, 2)).toEqual(['info', 'a level far long']);
    // The logs stopped at their budget: a few of the 70, and the span within the edge's limit.
    expect(span.logs.length).toBeGreaterThan(2);
    expect(span.logs.length).toBeLessThan(70);
    expect(JSON.stringify(span).length).toBeLessThanOrEqual(LIMITS.spanLength);
    expect(span.error).toBe('not a string');
  });

  test('keys the edge would make one (controls, lone surrogates, zero-width) are one already: a caller\'s query names cannot get the batch refused', async () => {
    const { tracer, router } = traced({ includeQueryParams: true });
    let child = '';
    router.get('/keys', (req) => {
      child = tracer.createChildSpan((req as { spanId: string }).spanId, 'keys')!;
      for (const key of ['k\u0001', 'k\u0002', 'k\ud800', 'k\udc00', 'k\u200b', `${'x'.repeat(127)}\ud83d\ude00`, `${'x'.repeat(127)}\ud83e\udd16`]) tracer.addTag(child, key, key.length);
      tracer.addLog(child, 'info', 'fields', { 'f\u0000': 1, 'f\u001b': 2 });
      tracer.finish(child);
      return new Response('ok');
    });
    // Any caller can send this: %01 and %02 decode to controls, %ED%A0%80 to U+FFFD.
    await router.fetch(new Request('http://app.test/keys?a%01=1&a%02=2&b%ED%A0%80=3&b%EF%BF%BD=4'));
    const spans = tracer.getRecentSpans();
    const server = spans.find((s) => s.kind === 'server')!;
    const inner = spans.find((s) => s.spanId === child)!;
    // Was: refused, "a duplicate key once made well-formed", and with it every request count of the batch.
    const checked = validateBatch(JSON.parse(JSON.stringify({ ...makeBatch(), spans: [server, inner] })));
    expect(checked.ok ? [] : checked.problems).toEqual([]);
    // The later value of two keys made one is kept, as for a key set twice.
    expect(server.tags['http.query.a\ufffd']).toBe('2');
    expect(Object.keys(inner.tags).filter((key) => key.startsWith('k'))).toEqual(['k\ufffd']);
    expect(inner.tags[`${'x'.repeat(127)}\ufffd`]).toBe(129);
    expect(inner.logs[0]!.fields).toEqual({ 'f\ufffd': 2 });
  });

  test('tags named __proto__ or constructor are kept as tags, through the edge\'s check and JSON', async () => {
    const { tracer, router } = traced();
    let child = '';
    router.get('/keys', (req) => {
      child = tracer.createChildSpan((req as { spanId: string }).spanId, 'keys')!;
      for (const key of ['__proto__', 'constructor', 'toString']) tracer.addTag(child, key, `${key} value`);
      tracer.finish(child);
      return new Response('ok');
    });
    await router.fetch(new Request('http://app.test/keys'));
    const span = tracer.getRecentSpans().find((s) => s.spanId === child)!;
    const checked = validateBatch(JSON.parse(JSON.stringify({ ...makeBatch(), spans: [span] })));
    expect(checked.ok && Object.entries(checked.batch.spans![0]!.tags)).toEqual([['__proto__', '__proto__ value'], ['constructor', 'constructor value'], ['toString', 'toString value']]);
  });

  test('sampleRate 0 without incoming context: no ids, createChildSpan gives null', async () => {
    const { tracer, router } = traced({ sampleRate: 0 });
    const body = (await (await router.fetch(new Request('http://app.test/users/1'))).json()) as { spanId?: string };
    expect(body.spanId).toBeUndefined();
    expect(tracer.createChildSpan(body.spanId!, 'db')).toBeNull();
    expect(() => requestTracer({ sampleRate: -1 })).toThrow(/sampleRate/);
    expect(() => requestTracer({ exporters: [{ type: 'zipkin' }] as never, sampleRate: 1 })).toThrow(/ZIPKIN_ENDPOINT|endpoint/);
  });
});

describe('children and exporters', () => {
  test('1,000 concurrent requests: every child carries its own request trace id and parent', async () => {
    const exported: TraceSpan[] = [];
    const tracer = requestTracer({ sampleRate: 1, maxRecentSpans: 10_000, exporters: [{ type: 'custom', maxQueueSize: 10_000, customExporter: (spans) => void exported.push(...spans) }] });
    closers.push(tracer.close);
    const router = new Router().use(tracer);
    router.get('/work/:n', async (req) => {
      const db = tracer.createChildSpan(req.spanId!, 'db');
      tracer.addTag(db!, 'request.n', req.params.n);
      await Bun.sleep(Number(req.params.n) % 7);
      const query = tracer.createChildSpan(db!, 'query');
      tracer.addTag(query!, 'request.n', req.params.n);
      await Bun.sleep(Number(req.params.n) % 3);
      tracer.finish(query!, 'ok');
      tracer.finish(db!, 'ok');
      return Response.json({ traceId: req.traceId, spanId: req.spanId, db, query });
    });
    const n = 1000;
    const bodies = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const res = await router.fetch(new Request(`http://app.test/work/${i}`));
      return { i, ...((await res.json()) as { traceId: string; spanId: string; db: string; query: string }) };
    }));
    await tracer.flush();
    expect(new Set(bodies.map((b) => b.traceId)).size).toBe(n);
    const byId = new Map(exported.map((s) => [s.spanId, s]));
    expect(exported.length).toBe(3 * n);
    for (const b of bodies) {
      const db = byId.get(b.db)!;
      const query = byId.get(b.query)!;
      expect(db).toMatchObject({ traceId: b.traceId, parentSpanId: b.spanId, tags: { 'request.n': String(b.i) } });
      expect(query).toMatchObject({ traceId: b.traceId, parentSpanId: b.db, tags: { 'request.n': String(b.i) } });
      expect(byId.get(b.spanId)).toMatchObject({ traceId: b.traceId, kind: 'server' });
      expect(byId.get(b.spanId)!.tags['http.target']).toBe(`/work/${b.i}`);
    }
  }, 30_000);

  test('jaeger exporter posts to /api/traces of a real local server; flush() waits for it', async () => {
    const sink = startSink();
    closers.push(sink.stop);
    const { tracer, router } = traced({ exporters: [{ type: 'jaeger', endpoint: sink.url, headers: { Authorization: 'Bearer your-token' } }] });
    await router.fetch(new Request('http://app.test/users/1'));
    await tracer.flush();
    expect(sink.requests.length).toBe(1);
    expect(sink.requests[0]!.path).toBe('/api/traces');
    expect(sink.requests[0]!.headers.get('authorization')).toBe('Bearer your-token');
  });
});
