import { expect, test } from 'bun:test';
import { routeHint } from '../../../src/core/alerts/route-hint.ts';

const KNOWN = ['/items/:id', '/items/:id/reviews', '/files/*', '/orgs/:org/items/:id', '/health'];

test('a route the app has had requests on, or none, needs no hint', () => {
  expect(routeHint(undefined, KNOWN)).toBeUndefined();
  expect(routeHint('/items/:id', KNOWN)).toBeUndefined();
});

test('a path names the templates it fits, so the rule is written with one of them', () => {
  expect(routeHint('/items/7', KNOWN)).toBe("route '/items/7' has had no requests under that name, and it fits the route '/items/:id': a rule names a route as its template, so it does not fire on these");
  expect(routeHint('/files/a/b.txt', KNOWN)).toContain("fits the route '/files/*'");
  expect(routeHint('/orgs/acme/items/7', KNOWN)).toContain("fits the route '/orgs/:org/items/:id'");
  // An empty segment is no parameter's value; a longer path fits no shorter template.
  expect(routeHint('/items/', KNOWN)).toContain('has had no requests yet');
  expect(routeHint('/items/7/reviews/2', KNOWN)).toContain('has had no requests yet');
  expect(routeHint('/helth', KNOWN)).toBe("route '/helth' has had no requests yet (routes are named by their templates, as the routes table shows them): the rule fires once it has");
});
