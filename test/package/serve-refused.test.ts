// A server Bun refuses to start (its port taken) is reported as the app's own error, pointing at the
// app's own Bun.serve line: through the preload, Bun's report had quoted ~1 KB of this package's
// minified code as the failing line (a review).
import { afterAll, expect, test } from 'bun:test';
import { installApp, run } from './support/consumer.ts';

const holder = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('taken') });
afterAll(() => holder.stop(true));

const APP = `const answer = () => new Response('x');
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: answer });
`;

test('a taken port: the error, its code and the app’s own line, and no line of bun-apm', async () => {
  const dir = await installApp({ name: 'port-taken', files: { 'app.ts': APP } });
  const { code, err } = await run([process.execPath, '--preload', 'bun-apm/preload', 'app.ts'], dir, { ...process.env, PORT: String(holder.port), NO_COLOR: '1' } as Record<string, string>);
  expect(code).not.toBe(0);
  expect(err).toContain(`Is port ${holder.port} in use?`);
  expect(err).toContain('EADDRINUSE');
  expect(err).toContain("Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: answer });");
  expect(err).toMatch(/at .*app\.ts:2/);
  expect(err).not.toContain('bun-apm/dist');
  expect(err.length).toBeLessThan(2_000);
}, 60_000);
