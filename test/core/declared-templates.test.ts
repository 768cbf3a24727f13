// DeclaredTemplates names a path by the template Bun's own router would take for it. Checked against
// Bun itself: a server whose per-method routes (POST only) answer with their template, and a fetch
// fallback; whatever Bun routes a POST to is what match() must say, and a path Bun gives to the
// fallback must match nothing.
import { afterAll, expect, test } from 'bun:test';
import { DeclaredTemplates } from '../../src/core/declared-templates.ts';

const TEMPLATES = ['/orgs/:org', '/orgs/new', '/orgs/:org/members/:id', '/orgs/:org/members/me', '/files/*', '/files/public/*', '/a/:b/c', '/a/b/:c', '/x/', '/'];

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  routes: Object.fromEntries(TEMPLATES.map((template) => [template, { POST: () => new Response(template) }])),
  fetch: () => new Response('', { status: 404 }),
});
afterAll(() => server.stop(true));

const PATHS = [
  '/orgs/acme', '/orgs/new', '/orgs/', '/orgs', '/orgs/acme/', '/orgs/acme/members/7', '/orgs/acme/members/me', '/orgs/new/members/me',
  '/orgs/acme/members/', '/files/', '/files/a', '/files/a/b/c', '/files', '/files/public/x', '/files/public/', '/files/public',
  '/a/b/c', '/a/z/c', '/a/b/z', '/a/b/', '/x/', '/x', '/', '/nothing', '/orgs//members/1',
];

test('match() takes the template Bun routes a path to, and nothing for a path Bun does not route', async () => {
  const declared = new DeclaredTemplates();
  for (const template of TEMPLATES) declared.add(template);
  const disagreements: string[] = [];
  for (const path of PATHS) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { method: 'POST' });
    const bun = response.status === 404 ? undefined : await response.text();
    const ours = declared.match(path);
    if (ours !== bun) disagreements.push(`${path}: Bun ${bun}, match() ${ours}`);
  }
  expect(disagreements).toEqual([]);
});

test('no template declared: nothing matches; at most 1,000 are kept', () => {
  const declared = new DeclaredTemplates();
  expect(declared.match('/orgs/acme')).toBeUndefined();
  for (let i = 0; i < 1_100; i++) declared.add(`/r${i}/:id`);
  expect(declared.size).toBe(1_000);
  expect(declared.match('/r999/1')).toBe('/r999/:id');
  expect(declared.match('/r1000/1')).toBeUndefined();
});
