// Options a review found taken silently or refused with a TypeError: each is the options' one kind
// of error, a ConfigError naming the option, at construction. And a dashboard mounted at `/`, which
// had answered every request of the app ('/api/users' → 404 "no such dashboard page").
import { expect, test } from 'bun:test';
import { performanceDashboard, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import { thrown } from '../support/config-error.ts';

const mistakes: Array<[string, () => unknown, string]> = [
  ['dashboard path "/"', () => performanceDashboard({ path: '/' }), 'performanceDashboard option path: expected a path below / such as "/performance", got "/"'],
  ['dashboard path "//"', () => performanceDashboard({ path: '//' }), 'performanceDashboard option path: expected a path below /'],
  ['dashboard server 42', () => performanceDashboard({ server: 42 as never }), 'performanceDashboard option server: expected the Bun server (with requestIP) or a function returning it'],
  ['dashboard server without requestIP', () => performanceDashboard({ server: {} as never }), 'performanceDashboard option server: expected the Bun server'],
  ['storage type bogus', () => performanceMonitor({ storage: { type: 'bogus' as 'memory' } }), 'performanceMonitor option storage.type: expected memory, file or custom, got "bogus"'],
  ['custom storage with no customHandler', () => performanceMonitor({ storage: { type: 'custom' } }), 'performanceMonitor option storage.customHandler: expected a function'],
  ['propagation.headers a string', () => requestTracer({ propagation: { enabled: true, headers: 'x' as never } }), 'requestTracer option propagation.headers: expected an array of header names'],
  ['an exporter of an unknown type', () => requestTracer({ exporters: [{ type: 'bogus' as 'console' }] }), 'exporters[0] (bogus): unknown type "bogus"'],
  ['exporters not an array', () => requestTracer({ exporters: {} as never }), 'requestTracer option exporters: expected an array'],
  ['propagation.headers not header names', () => requestTracer({ propagation: { headers: ['x y'] } }), 'requestTracer option propagation.headers: expected an array of header names'],
];

test.each(mistakes)('%s is a ConfigError naming it', (_, make, message) => {
  expect(thrown(make).message).toContain(message);
});

test('a dashboard under a path of its own, and a server given as itself or as a function, are taken; other requests pass on', async () => {
  const server = { requestIP: () => ({ address: '127.0.0.1' }) };
  for (const options of [{ path: '/performance/' }, { path: '/ops/apm', server }, { server: () => server }]) {
    const dashboard = performanceDashboard(options);
    const answer = await dashboard(new Request('http://app.test/api/users'), async () => new Response('app'));
    expect(await answer.text()).toBe('app');
  }
});
