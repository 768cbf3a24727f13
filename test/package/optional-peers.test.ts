// An app without the optional peers: bun-apm/middleware loads without hono, bun-router or elysia (its
// router adapters only need the routers' public surface, never their code), and an email alert
// without nodemailer says, once, which package to add.
import { expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installApp, run, runOk } from './support/consumer.ts';

const APP = `import { bunRouterRoutes, elysiaRoutes, honoMiddleware, honoRoutes, PerformanceAlerting, performanceMonitor } from 'bun-apm/middleware';

const monitor = performanceMonitor({ sampleRate: 1 });
console.log('hono adapter:', typeof honoMiddleware(monitor));
console.log('router adapters:', typeof honoRoutes(), typeof bunRouterRoutes({ get() {} }).get, typeof elysiaRoutes);

let now = Date.UTC(2026, 10, 26, 12, 0, 0);
const logs: string[] = [];
const alerting = new PerformanceAlerting({
  app: 'shop', now: () => now, log: (line) => logs.push(line), sampleProcess: false,
  delivery: { attempts: 1 },
  channels: [{ type: 'email', enabled: true, config: { email: 'oncall@example.com', smtp: 'smtp://127.0.0.1:9' } }],
  rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
});
for (let minute = 0; minute < 2; minute++) {
  now += 60_000;
  for (let i = 0; i < 20; i++) alerting.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'GET', path: '/slow', statusCode: 200, responseTime: 900 });
  now += 1;
  await alerting.flush();
}
console.log('firing:', alerting.getActiveAlerts().length);
for (const line of logs) console.log('log:', line);
await alerting.close();
await monitor.close();
`;

test('without hono and nodemailer installed: the middleware loads, and email names nodemailer', async () => {
  const dir = await installApp({ name: 'no-peers', files: { 'app.ts': APP } });
  for (const peer of ['hono', 'bun-router', 'elysia', 'nodemailer']) expect(existsSync(join(dir, 'node_modules', peer)), peer).toBe(false);
  const { out } = await runOk([process.execPath, 'run', 'app.ts'], dir);
  expect(out).toContain('hono adapter: function');
  expect(out).toContain('router adapters: function function function');
  expect(out).toContain('firing: 1');
  const logs = out.split('\n').filter((line) => line.startsWith('log:'));
  expect(logs).toEqual(['log: bun-apm: alerting: email channel #0 could not deliver a notification (nodemailer is not installed: `bun add nodemailer` to send alert email over SMTP); the same failure is not logged again for an hour']);

  // Under Node the Bun side says so (was `Import attribute type "file" is unsupported`); the root still loads.
  const node = Bun.which('node');
  if (node === null) throw new Error('node is not on PATH (npm brings it): this check needs it');
  // A static named import too: Node checks the names before it runs the module (it had said "does not provide an export named").
  for (const code of ["await import('bun-apm/middleware')", "await import('bun-apm/preload')", "import { PerformanceMonitor, requestTracer } from 'bun-apm/middleware'; console.log(PerformanceMonitor, requestTracer)"]) {
    const underNode = await run([node, '--input-type=module', '-e', code], dir);
    expect(underNode.code, code).toBe(1);
    expect(underNode.err, code).toContain("bun-apm's preload and middleware run on Bun: start the app with `bun`");
  }
  const root = await run([node, '--input-type=module', '-e', "const { defineConfig } = await import('bun-apm'); console.log(typeof defineConfig)"], dir);
  expect([root.code, root.out.trim()]).toEqual([0, 'function']);
}, 60_000);
