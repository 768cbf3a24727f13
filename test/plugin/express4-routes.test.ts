// Express 4 route templates under the real preload. Express 4 keeps no mount pattern, only the
// RegExp it compiled and the parameters' names: a router mounted at `/t/:tenant` had been named by
// the text it matched, one route per tenant (`GET /t/acme/orders/:oid`), and a tenant's 404s one
// route each. Express 4 is installed as `express4` (npm:express@4.22.1) beside Express 5.
import { expect, test } from 'bun:test';
import { countedProbes } from './support/node-http-app.ts';

/** Runs `source` under the preload, sends the probes, stops it; the cells it sent. */
const counted = (source: string, probes: string[]) => countedProbes('express4-routes', source, probes);

test('Express 4: routers mounted at parameterised paths are one route whatever their values; their 404s one wildcard', async () => {
  const cells = await counted(
    `import express from 'express4';
const app = express();
const orders = express.Router();
orders.get('/orders/:oid', (req, res) => res.send('order'));
orders.get('/', (req, res) => res.send('home'));
const shops = express.Router({ mergeParams: true });
shops.get('/items/:iid', (req, res) => res.send('item'));
orders.use('/shops/:shop', shops);
app.use('/t/:tenant', orders);
// Optional and custom parameters, a wildcard mount, a RegExp mount, and a router at the root.
const files = express.Router();
files.get('/meta', (req, res) => res.send('meta'));
app.use('/v/:version(\\\\d+)', files);
app.use('/o/:maybe?/x', files);
app.use(/^\\/re\\/(?:only)/, files);
// A sub-app at a parameterised path, and one inside a router there.
const admin = express();
admin.get('/users/:uname', (req, res) => res.send('admin'));
app.use('/a/:tenant/admin', admin);
const billing = express();
billing.get('/invoices/:inv', (req, res) => res.send('invoice'));
const account = express.Router();
account.use('/billing', billing);
app.use('/acct/:account', account);
const root = express.Router();
root.get('/users/:id', (req, res) => res.send('user'));
// A router at the root holding one at a parameterised path: its 404s are that mount's wildcard.
const inner = express.Router();
inner.get('/x', (req, res) => res.send('x'));
root.use('/u/:tenant', inner);
app.use(root);
app.get('/ready', (req, res) => res.send('ready'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
    [
      '/t/acme/orders/1', '/t/globex/orders/2', '/t/acme', '/t/initech/shops/s1/items/9', '/t/umbrella/shops/s2/items/8',
      '/t/acme/nothing 404', '/t/globex/nothing 404', '/t/acme/shops/s1/nothing 404',
      '/a/acme/admin/users/alice', '/a/beta/admin/users/bob', '/a/acme/admin/nothing 404', '/a/beta/admin/nothing 404', '/acct/7/billing/invoices/1', '/acct/8/billing/invoices/2',
      // As Express 4 matches them: without regard to case, with a trailing slash (a review: one route per tenant again).
      '/t/acme/orders/3/', '/T/acme/orders/4', '/t/acme/ORDERS/5',
      '/u/acme/x', '/u/globex/nothing 404', '/u/initech/nothing 404',
      '/v/2/meta', '/v/3/meta', '/o/a/x/meta', '/re/only/meta', '/users/5', '/users/6',
    ],
  );
  expect(cells).toEqual({
    'GET /ready 2xx': 1,
    // Was: GET /t/acme/orders/:oid, GET /t/globex/orders/:oid, … one route per tenant.
    'GET /t/:tenant/orders/:oid 2xx': 5,
    'GET /u/:tenant/x 2xx': 1,
    'GET /u/:tenant/* 4xx': 2,
    'GET /t/:tenant 2xx': 1,
    'GET /t/:tenant/shops/:shop/items/:iid 2xx': 2,
    // Was: GET /t/acme/nothing, GET /t/globex/nothing, …
    'GET /t/:tenant/* 4xx': 2,
    'GET /t/:tenant/shops/:shop/* 4xx': 1,
    'GET /a/:tenant/admin/users/:uname 2xx': 2,
    'GET /a/:tenant/admin/* 4xx': 2,
    'GET /acct/:account/billing/invoices/:inv 2xx': 2,
    'GET /v/:version/meta 2xx': 2,
    'GET /o/:maybe/x/meta 2xx': 1,
    'GET /re/only/meta 2xx': 1,
    'GET /users/:id 2xx': 2,
  });
}, 60_000);
