// Express 5 route templates under the real preload, from the patterns Express keeps: a router
// mounted at a parameterised path is one route, not one per value of its parameter (a review: one
// route per tenant filled the app's route cap), and wildcard, optional and RegExp routes are named
// as registered, not one route per path.
import { expect, test } from 'bun:test';
import { countedCells, countedProbes } from './support/node-http-app.ts';

/** Runs `source` under the preload, sends the probes, stops it; the cells it sent. */
const counted = (source: string, probes: string[]) => countedProbes('express-routes', source, probes);

test('Express: a router mounted at a parameterised path is one route, whichever value the parameter takes', async () => {
  const cells = await counted(
    `import express from 'express';
const app = express();
const projects = express.Router({ mergeParams: true });
projects.get('/:pid', (req, res) => res.send('project'));
projects.get('/:pid/tasks/:tid', (req, res) => res.send('task'));
app.use('/orgs/:orgId/projects', projects);
// One router reached several ways: each request named by the way it came.
const shared = express.Router();
shared.get('/items/:item', (req, res) => res.send('item'));
app.use(['/v1', '/v2/:tenant'], shared);
app.use('/v3', shared);
const nested = express.Router();
nested.use('/teams/:team', shared);
app.use('/n/:org', nested);
// A sub-app mounted at a parameterised path.
const admin = express();
admin.get('/users/:uname', (req, res) => res.send('admin'));
app.use('/t/:tenant/admin', admin);
app.get('/ready', (req, res) => res.send('ready'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    [
      '/orgs/acme/projects/web', '/orgs/beta/projects/api', '/orgs/gamma/projects/web/tasks/fix-login',
      '/v1/items/a', '/v2/acme/items/b', '/v2/beta/items/c', '/v3/items/d', '/n/acme/teams/red/items/e',
      '/t/acme/admin/users/alice', '/t/beta/admin/users/bob',
    ],
  );
  expect(cells).toEqual({
    'GET /ready 2xx': 1,
    'GET /orgs/:orgId/projects/:pid 2xx': 2,
    'GET /orgs/:orgId/projects/:pid/tasks/:tid 2xx': 1,
    'GET /v1/items/:item 2xx': 1,
    'GET /v2/:tenant/items/:item 2xx': 2,
    'GET /v3/items/:item 2xx': 1,
    'GET /n/:org/teams/:team/items/:item 2xx': 1,
    'GET /t/:tenant/admin/users/:uname 2xx': 2,
  });
}, 60_000);

test('Express 5: wildcard, optional and RegExp routes are named as registered', async () => {
  const cells = await counted(
    `import express from 'express';
const app = express();
app.get('/assets/*file', (req, res) => res.send('asset'));
app.get('/opt/:x{/:y}', (req, res) => res.send('opt'));
app.get(/^\\/re\\/(\\w+)$/, (req, res) => res.send('regex'));
app.get('/{*spa}', (req, res) => res.send('spa'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    ['/assets/js/app.js', '/assets/css/site.css', '/opt/a', '/opt/b/c', '/re/abc', '/re/xyz', '/dashboard/settings/profile', '/about'],
  );
  expect(cells).toEqual({
    'GET /assets/*file 2xx': 2,
    'GET /opt/:x{/:y} 2xx': 2,
    'GET /^\\/re\\/(\\w+)$/ 2xx': 2,
    'GET /{*spa} 2xx': 3, // with '/ready', the wait for the port
  });
}, 60_000);

test('Express: a request that leaves a sub-app mounted at a parameterised path is named by its route, not by the tenant', async () => {
  const cells = await counted(
    `import express from 'express';
const app = express();
const admin = express();
admin.get('/users/:uname', (req, res) => res.send('admin'));
admin.get('/boom', (req, res, next) => next(new Error('boom')));
admin.get('/throw/:k', () => { throw new Error('thrown'); });
admin.get('/skip/:k', (req, res, next) => next());
const inner = express.Router();
inner.get('/deep/:d', (req, res, next) => next(new Error('deep')));
admin.use('/r/:rid', inner);
app.use('/t/:tenant/admin', admin);
// A sub-app never walked, a router between its mount and the route: that router's part is normalised.
const ops = express();
const queue = express.Router();
queue.get('/jobs/:job', (req, res, next) => next(new Error('job')));
ops.use('/q/:qid', queue);
app.use('/o/:tenant/ops', ops);
// A router (not a sub-app) left for the app's error handler: req.baseUrl is reset by then.
const projects = express.Router();
projects.get('/:pid/fail', (req, res, next) => next(new Error('fail')));
app.use('/p/:org', projects);
// A sub-app mounted twice (Express keeps only the last mountpath).
const twice = express();
twice.get('/z/:zid', (req, res) => res.send('z'));
app.use('/s/:tenant', twice);
app.use('/plain', twice);
// A router mounted inside itself.
const r = express.Router();
r.get('/x/:xid', (req, res) => res.send('x'));
r.use('/loop', r);
app.use('/v1/:org', r);
app.get('/ready', (req, res) => res.send('ready'));
// A sub-app mounted again after serving.
app.get('/mount-more', (req, res) => { app.use('/later/:org', admin); res.send('mounted'); });
app.use((err, req, res, next) => res.status(503).send('handled'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    [
      // Before any request ended inside the sub-app (it was never walked): its mount in the parent and the route's own pattern.
      '/t/acme/admin/boom 503', '/t/beta/admin/throw/one 503', '/t/gamma/admin/skip/one 404', '/o/acme/ops/q/7/jobs/j1 503', '/o/beta/ops/q/8/jobs/j2 503',
      '/p/acme/p1/fail 503', '/p/beta/p2/fail 503',
      // After one did: the chains its walk found.
      '/t/acme/admin/users/alice', '/t/beta/admin/r/r1/deep/d1 503', '/t/delta/admin/r/r2/deep/d2 503', '/t/delta/admin/throw/two 503',
      '/s/acme/z/a', '/s/beta/z/b', '/plain/z/c',
      '/v1/acme/x/a', '/v1/beta/loop/x/b', '/v1/gamma/loop/loop/x/c',
      '/mount-more', '/later/acme/users/bob', '/t/epsilon/admin/users/carol',
    ],
  );
  expect(cells).toEqual({
    'GET /ready 2xx': 1,
    'GET /mount-more 2xx': 1,
    'GET /t/:tenant/admin/boom 5xx': 1,
    'GET /t/:tenant/admin/throw/:k 5xx': 2,
    'GET /t/:tenant/admin/skip/:k 4xx': 1,
    'GET /t/:tenant/admin/users/:uname 2xx': 2,
    'GET /t/:tenant/admin/r/:rid/deep/:d 5xx': 2,
    'GET /later/:org/users/:uname 2xx': 1,
    'GET /o/:tenant/ops/q/:id/jobs/:job 5xx': 2,
    'GET /p/:org/:pid/fail 5xx': 2,
    'GET /s/:tenant/z/:zid 2xx': 2,
    'GET /plain/z/:zid 2xx': 1,
    'GET /v1/:org/x/:xid 2xx': 1,
    'GET /v1/:org/loop/x/:xid 2xx': 1,
    'GET /v1/:org/loop/loop/x/:xid 2xx': 1,
  });
}, 60_000);

test('Express: a request no route answered is named by the route middleware kept it from, or by its parameterised mount, never by the tenant', async () => {
  const cells = await counted(
    `import express from 'express';
import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('static', { recursive: true });
writeFileSync('static/robots.txt', 'User-agent: *');
const app = express();
// A rate limit in front of every route.
app.use((req, res, next) => (req.query.limit ? res.status(429).send('slow down') : next()));
app.use(express.static('static'));
const orders = express.Router({ mergeParams: true });
// A router's own middleware refusing before its routes.
orders.use((req, res, next) => (req.query.deny ? res.status(401).send('no') : next()));
orders.get('/orders/:oid', (req, res) => res.send('order'));
app.use('/t/:tenant', orders);
const admin = express();
admin.get('/users/:uname', (req, res) => res.send('admin'));
app.use('/a/:tenant/admin', admin);
app.get('/users/:id', (req, res) => res.send('user'));
app.get('/ready', (req, res) => res.send('ready'));
app.get('/:page', (req, res) => res.send('page'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    [
      '/t/acme/orders/o1', '/t/beta/orders/o2?deny=1 401', '/t/gamma/orders/o3?limit=1 429', '/users/7?limit=1 429', '/about?limit=1 429',
      // Each tenant's 404 under the mount, a method the route does not serve, a CORS preflight (Express answers it).
      '/t/acme/nope 404', '/t/beta/nope/deeper 404', '/t/gamma 404', 'DELETE /t/acme/orders/o9 404', 'OPTIONS /t/beta/orders/o8',
      '/a/acme/admin/nope 404', '/a/beta/admin/users/bob',
      // Middleware's answer (a static file) is no route's; a path under no route nor mount stays its own.
      '/robots.txt', '/nowhere/at/all 404',
    ],
  );
  expect(cells).toEqual({
    'GET /ready 2xx': 1,
    'GET /t/:tenant/orders/:oid 2xx': 1,
    'GET /t/:tenant/orders/:oid 4xx': 2,
    'GET /users/:id 4xx': 1,
    'GET /:page 4xx': 1,
    'GET /t/:tenant/* 4xx': 3,
    'DELETE /t/:tenant/orders/:oid 4xx': 1,
    'OPTIONS /t/:tenant/orders/:oid 2xx': 1,
    'GET /a/:tenant/admin/* 4xx': 1,
    'GET /a/:tenant/admin/users/:uname 2xx': 1,
    'GET /robots.txt 2xx': 1,
    'GET /nowhere/at/all 4xx': 1,
  });
}, 60_000);

test("Express: a request no route answered is tested with Express's own matchers: no backtracking on a hostile path, RegExp routes and case-sensitive routing as Express reads them, middleware's static files left alone", async () => {
  // Within the 2,048 characters tested (a longer path is left to the normaliser).
  const hostile = [`/archive/${'-'.repeat(2000)}/x`, `/a/${'b/'.repeat(1000)}x`];
  let slowest = 0;
  const cells = await countedCells(
    'express-routes',
    `import express from 'express';
import { mkdirSync, writeFileSync } from 'node:fs';
mkdirSync('static', { recursive: true });
writeFileSync('static/robots.txt', 'User-agent: *');
const app = express();
app.set('case sensitive routing', true);
app.get('/ready', (req, res) => res.send('ready'));
app.use(express.static('static'));
app.use((req, res, next) => (req.query.limit ? res.status(429).send('slow down') : next()));
app.get('/archive/:year-:month-:day', (req, res) => res.send('day'));
app.get('/a/*x/b/*y/c/*z/d', (req, res) => res.send('deep'));
app.get(/^\\/rx\\/(\\d+)$/, (req, res) => res.send('rx'));
app.get('/Users/:id', (req, res) => res.send('user'));
const lang = express.Router();
lang.get('/home', (req, res) => res.send('home'));
app.use('/:lang', lang);
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    async (app) => {
      // Each hostile 404 is named after its answer, on the app's thread: the next request waits for that.
      for (const path of hostile) {
        expect((await app.fetch(path)).status).toBe(404);
        const from = performance.now();
        expect((await app.fetch('/robots.txt')).status).toBe(200);
        slowest = Math.max(slowest, performance.now() - from);
      }
      for (const [path, status] of [['/rx/12?limit=1', 429], ['/nothing/2?limit=1', 429], ['/users/5?limit=1', 429], ['/en/home', 200], ['/fr/nope', 404]] as const) {
        expect(`${path} ${(await app.fetch(path)).status}`).toBe(`${path} ${status}`);
      }
    },
  );
  // Was 4 s for the first (a regex of ours backtracking over the dashes), seconds for the second.
  expect(slowest).toBeLessThan(1_000);
  expect(cells).toEqual({
    'GET /ready 2xx': 1,
    'GET /robots.txt 2xx': 2,
    // Under the router mounted at /:lang, as Express tried it: the hostile paths, a refusal no route
    // fits (the RegExp route fits only its own paths; /Users/:id is case-sensitive), its own 404.
    'GET /:lang/* 4xx': 5,
    'GET /^\\/rx\\/(\\d+)$/ 4xx': 1,
    'GET /:lang/home 2xx': 1,
  });
}, 60_000);

test("Express: a sub-app mounted at a parameterised path that answers its own 404s names them by its mount's wildcard (a review: one route per tenant)", async () => {
  const cells = await counted(
    `import express from 'express';
const app = express();
const shop = express();
shop.get('/things/:thing', (req, res) => res.send('thing'));
const inner = express.Router();
inner.get('/list', (req, res) => res.send('list'));
shop.use('/static-part', inner);
shop.use((req, res) => res.status(404).send('shop: not found'));
app.use('/b/:tenant', shop);
app.get('/ready', (req, res) => res.send('ready'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    ['/b/acme/nothing 404', '/b/acme/nothing 404', '/b/globex/nothing 404', '/b/initech/x/y 404', '/b/acme/static-part/zzz 404', '/b/acme/things/t1', '/b/globex/static-part/list'],
  );
  expect(cells).toEqual({
    'GET /b/:tenant/things/:thing 2xx': 1,
    'GET /b/:tenant/static-part/list 2xx': 1,
    'GET /b/:tenant/static-part/* 4xx': 1,
    'GET /b/:tenant/* 4xx': 4,
    'GET /ready 2xx': 1,
  });
}, 60_000);
