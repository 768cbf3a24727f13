// A secret in a request's path (a token as a segment, a `;jsessionid=` value) never leaves the app
// in a detail record or a span: the preload had sent sampled paths as they came (a review), where
// the explicit tracer redacted them. A real app under the preload, every request sampled and traced.
import { afterAll, expect, test } from 'bun:test';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

test('sampled and traced paths are redacted segment by segment; the rest of the path stays', async () => {
  const sink = new IngestSink().start();
  sinks.push(sink);
  const app = await startApp('routes-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '1' },
  });
  apps.push(app);
  const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
  const paths = {
    [`/orders/${token}`]: '/orders/[REDACTED]', '/orders/cart;jsessionid=SESSJ42/items': '/orders/cart;jsessionid=[REDACTED]/items', '/orders/plain-7': '/orders/plain-7',
    // A URL's password in an encoded segment (a review: a URL's password needs its `://` plain).
    '/orders/https%3A%2F%2Fuser%3AURLPW1%40host': '/orders/https:%2F%2Fuser:[REDACTED]@host', '/orders/postgres:%2F%2Fu:URLPW2@h%2Fdb': '/orders/postgres:%2F%2Fu:[REDACTED]@h%2Fdb',
    '/orders/a%20b': '/orders/a%20b',
  };
  for (const path of Object.keys(paths)) await (await fetch(`${app.url}${path}`)).text();
  app.process.kill('SIGTERM');
  await app.exited;
  const samples = sink.batches.flatMap((batch) => batch.samples).filter((sample) => sample.path.startsWith('/orders/'));
  expect(samples.map((sample) => sample.path).sort()).toEqual(Object.values(paths).sort());
  const targets = sink.batches.flatMap((batch) => batch.spans).filter((span) => span.kind === 'server').map((span) => String(span.tags['http.target']));
  expect(targets.filter((target) => target.startsWith('/orders/')).sort()).toEqual(Object.values(paths).sort());
  const shipped = JSON.stringify(sink.batches);
  for (const secret of [token, 'SESSJ42', 'URLPW1', 'URLPW2']) expect(shipped).not.toContain(secret);
}, 30_000);

test("a plain fetch handler's routes, named from its paths, carry no secret or personal number a segment held: they go with every count", async () => {
  const sink = new IngestSink().start();
  sinks.push(sink);
  const app = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_SAMPLE_RATE: '0', BUN_APM_TRACE_SAMPLE_RATE: '0' } });
  apps.push(app);
  // What a review saw go out verbatim as route names (the same requests' sampled paths were redacted).
  const marked = {
    '/orders/access_token=TOKMARKY': 'TOKMARKY',
    '/orders/password=HUNTERMARK': 'HUNTERMARK',
    '/orders/https:%2F%2Fadmin:URLPWMARK@db.internal': 'URLPWMARK',
    '/orders/4111-1111-1111-1111': '4111-1111-1111-1111',
    '/orders/123-45-6789': '123-45-6789',
    '/orders/+1-555-123-4567': '555-123-4567',
    '/orders/Bearer%20BEARERMARKZ': 'BEARERMARKZ',
    '/orders/ada%40example.com': 'example.com',
    // Reviews of the change: an IBAN, a phone as a tel: link or with an extension, IPv6 and MAC addresses.
    '/orders/DE89-3704-0044-0532-0130-00': '3704-0044',
    '/orders/DE89%203704%200044%200532%200130%2000': '3704%200044',
    '/orders/tel:+15551234567': '5551234567',
    '/orders/555-123-4567x89': '4567x89',
    '/orders/fe80::1ff:fe23:4567:890a': 'fe23:4567',
    '/orders/00:1A:2B:3C:4D:5E': '3C:4D',
    '/orders/bob@2x.com': 'bob@2x',
  };
  // Names of pages and files, some of digits mostly (a review of the change had them merged).
  const kept = ['/orders/history', '/orders/@team', '/orders/v1.2.3', '/orders/logo@2x.png', '/orders/ubuntu-22.04.3-desktop-amd64.iso', '/orders/covid-19-2020-2021', '/orders/v2024.10.1', '/orders/4.2.0.1', '/orders/800x600', '/orders/1920x1080.jpg'];
  for (const path of [...Object.keys(marked), ...kept]) await (await fetch(`${app.url}${path}`)).text();
  app.process.kill('SIGTERM');
  await app.exited;
  const routes = new Set(sink.batches.flatMap((batch) => batch.rollups).map((cell) => cell.route));
  expect([...routes].filter((route) => route.startsWith('/orders/')).sort()).toEqual(['/orders/:id', ...kept].sort());
  const counted = sink.batches.flatMap((batch) => batch.rollups).filter((cell) => cell.route === '/orders/:id').reduce((sum, cell) => sum + cell.count, 0);
  expect(counted).toBe(Object.keys(marked).length);
  const shipped = JSON.stringify(sink.batches);
  for (const secret of Object.values(marked)) expect(shipped).not.toContain(secret);
}, 30_000);
