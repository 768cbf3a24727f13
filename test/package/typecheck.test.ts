// TypeScript apps type-check their imports of bun-apm: the package ships .ts sources, so `tsc` in
// the app checks them under the app's own settings. Here that is `bun init`'s tsconfig (no DOM
// lib, React's JSX) with only @types/bun, once without the optional peers and once with Hono.
import { expect, test } from 'bun:test';
import { installApp, pinned, run } from './support/consumer.ts';

/** What `bun init` writes (Bun 1.4). */
const BUN_INIT_TSCONFIG = {
  lib: ['ESNext'], target: 'ESNext', module: 'Preserve', moduleDetection: 'force', jsx: 'react-jsx', allowJs: true,
  moduleResolution: 'bundler', allowImportingTsExtensions: true, verbatimModuleSyntax: true, noEmit: true,
  strict: true, skipLibCheck: true, noFallthroughCasesInSwitch: true, noUncheckedIndexedAccess: true, noImplicitOverride: true,
  noUnusedLocals: false, noUnusedParameters: false, noPropertyAccessFromIndexSignature: false,
};

const PLAIN_APP = `import { defineConfig, type Batch } from 'bun-apm';
import { instrument, performanceAlerting, performanceDashboard, performanceMonitor, requestTracer } from 'bun-apm/middleware';

const monitor = performanceMonitor({ sampleRate: 0.1 });
const tracer = requestTracer({ sampleRate: 0.05 });
const alerting = performanceAlerting({ rules: [], channels: [{ type: 'email', enabled: true, config: { email: 'a@example.com', smtp: 'smtp://127.0.0.1:25' } }] });
const dashboard = performanceDashboard({ path: '/performance', monitor, tracer, alerting });
const server = Bun.serve({ port: 0, fetch: instrument((request: Request) => new Response(request.url), dashboard, monitor, tracer) });
const first: Batch | undefined = undefined;
console.log(server.port, first);
export default defineConfig({ routeCap: 100 });
`;

const HONO_APP = `import { Hono } from 'hono';
import { honoMiddleware, performanceMonitor, requestTracer } from 'bun-apm/middleware';

const tracer = requestTracer({ sampleRate: 1 });
const app = new Hono();
app.use(honoMiddleware(performanceMonitor()), honoMiddleware(tracer));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));

const typed = new Hono<{ Variables: { traceId?: string; spanId?: string; user: string } }>();
typed.use(honoMiddleware(tracer));
typed.get('/', (c) => c.text(c.get('spanId') ?? 'none'));
export default app;
`;

const TOOLS = [pinned('typescript'), pinned('@types/bun')];

async function typecheck(name: string, files: Record<string, string>, dependencies: string[]): Promise<string> {
  const dir = await installApp({ name, tsconfig: BUN_INIT_TSCONFIG, files, dependencies: [...TOOLS, ...dependencies] });
  const { code, out, err } = await run([process.execPath, 'node_modules/typescript/bin/tsc', '-p', '.'], dir);
  return code === 0 ? '' : `${out}${err}`;
}

test("an app with bun init's tsconfig and no optional peers type-checks its imports of bun-apm", async () => {
  expect(await typecheck('ts-plain', { 'index.ts': PLAIN_APP }, [])).toBe('');
}, 180_000);

test('a Hono app type-checks honoMiddleware against the Hono it installed', async () => {
  expect(await typecheck('ts-hono', { 'index.ts': HONO_APP }, [pinned('hono')])).toBe('');
}, 180_000);
