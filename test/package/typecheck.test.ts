// TypeScript apps type-check their imports of bun-apm against its declaration files: `tsc` in the
// app reads only the .d.ts the exports reach, never a source of ours, so the app's own settings
// (here `bun init`'s tsconfig: no DOM lib, React's JSX, skipLibCheck) never check our internals.
// Once without the optional peers, once with Hono, once under Node's module resolution (nodenext).
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
// As the README has it: a secret read from the environment may be undefined (exactOptionalPropertyTypes, below).
performanceDashboard({ monitor, authentication: { enabled: true, apiKey: process.env.DASHBOARD_API_KEY } });
const server = Bun.serve({ port: 0, fetch: instrument((request: Request) => new Response(request.url), dashboard, monitor, tracer) });
const first: Batch | undefined = undefined;
console.log(server.port, first);
// The custom exporter's spans are typed (with an index signature on the entry they were an implicit any),
// and a misspelled option is an error.
// @ts-expect-error maxQueSize is no option
defineConfig({ exporters: [{ type: 'console', maxQueSize: 5 }] });
export default defineConfig({ routeCap: 100, exporters: [{ type: 'custom', customExporter(spans) { console.log(spans.length, spans[0]?.traceId.length); } }] });
`;

const HONO_APP = `import { Hono } from 'hono';
import { honoMiddleware, performanceMonitor, requestTracer, type HonoTraceVariables } from 'bun-apm/middleware';

const tracer = requestTracer({ sampleRate: 1 });
const app = new Hono();
app.use(honoMiddleware(performanceMonitor()), honoMiddleware(tracer));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));

const typed = new Hono<{ Variables: { traceId?: string; spanId?: string; user: string } }>();
typed.use(honoMiddleware(tracer));
typed.get('/', (c) => c.text(c.get('spanId') ?? 'none'));
// As docs/options.md has it.
const documented = new Hono<{ Variables: HonoTraceVariables }>();
documented.use(honoMiddleware(tracer));
documented.get('/users/:id', (c) => {
  const child = tracer.createChildSpan(c.get('spanId') ?? '', 'db');
  if (child) tracer.finish(child);
  return c.text(c.get('traceId') ?? 'none');
});
export default app;
`;

/** Node's own resolution: exports' `types` conditions and `.js` paths in the declarations. */
const NODENEXT_TSCONFIG = {
  lib: ['ESNext'], target: 'ESNext', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['bun'], noEmit: true, strict: true, skipLibCheck: true,
  exactOptionalPropertyTypes: true,
};

const TOOLS = [pinned('typescript'), pinned('@types/bun')];

/** tsc's errors (empty when it passes), and the files of bun-apm it read. */
async function typecheck(name: string, tsconfig: Record<string, unknown>, files: Record<string, string>, dependencies: string[]): Promise<{ errors: string; read: string[] }> {
  const dir = await installApp({ name, tsconfig, files, dependencies: [...TOOLS, ...dependencies] });
  const { code, out, err } = await run([process.execPath, 'node_modules/typescript/bin/tsc', '-p', '.', '--listFilesOnly'], dir);
  const read = out.split('\n').filter((line) => line.includes('/node_modules/bun-apm/')).map((line) => line.slice(line.indexOf('/node_modules/bun-apm/') + 22));
  const checked = await run([process.execPath, 'node_modules/typescript/bin/tsc', '-p', '.'], dir);
  expect(code, `${out}${err}`).toBe(0);
  return { errors: checked.code === 0 ? '' : `${checked.out}${checked.err}`, read };
}

/** Declarations only, from the build: no source of ours, nothing outside dist/ (and some of it: `atLeast` files). */
function expectDeclarationsOnly(read: string[], atLeast = 10): void {
  expect(read.length).toBeGreaterThanOrEqual(atLeast);
  expect(read.filter((path) => !/^dist\/.+\.d\.ts$/.test(path))).toEqual([]);
}

test("an app with bun init's tsconfig and no optional peers type-checks its imports of bun-apm", async () => {
  const { errors, read } = await typecheck('ts-plain', BUN_INIT_TSCONFIG, { 'index.ts': PLAIN_APP }, []);
  expect(errors).toBe('');
  expectDeclarationsOnly(read);
}, 180_000);

test('an app checking every declaration file (skipLibCheck off) type-checks bun-apm\'s too', async () => {
  // Was: dist/plugin/runtime/log.d.ts named the DOM lib's HeadersInit, which Bun's types alone lack.
  const { errors, read } = await typecheck('ts-lib-check', { ...BUN_INIT_TSCONFIG, skipLibCheck: false }, { 'index.ts': PLAIN_APP }, []);
  expect(errors).toBe('');
  expectDeclarationsOnly(read);
}, 180_000);

test('a Hono app type-checks honoMiddleware against the Hono it installed', async () => {
  const { errors, read } = await typecheck('ts-hono', BUN_INIT_TSCONFIG, { 'index.ts': HONO_APP }, [pinned('hono')]);
  expect(errors).toBe('');
  expectDeclarationsOnly(read);
}, 180_000);

test('an app resolving modules as Node does (NodeNext) type-checks the same imports', async () => {
  const { errors, read } = await typecheck('ts-nodenext', NODENEXT_TSCONFIG, { 'index.ts': PLAIN_APP }, []);
  expect(errors).toBe('');
  expectDeclarationsOnly(read);
}, 180_000);

test('a Worker project re-exporting bun-apm/edge type-checks with @cloudflare/workers-types, the optional peer its declarations need', async () => {
  const worker = `import edge, { AppStore, DashboardSessions } from 'bun-apm/edge';
export { AppStore, DashboardSessions };
export default edge;
`;
  const tsconfig = { lib: ['ESNext'], target: 'ESNext', module: 'ESNext', moduleResolution: 'bundler', types: ['@cloudflare/workers-types'], noEmit: true, strict: true, skipLibCheck: true };
  const { errors, read } = await typecheck('ts-worker', tsconfig, { 'worker.ts': worker }, [pinned('@cloudflare/workers-types')]);
  expect(errors).toBe('');
  // The entry, its settings, code rules and the rules they reach: the store's own types stay out (its methods are the Worker's RPC).
  expectDeclarationsOnly(read, 5);
  expect(read.filter((path) => path.startsWith('dist/edge/store/') || path === 'dist/edge/app-store.d.ts')).toEqual([]);
}, 180_000);

test('the declarations type the API: wrong options and a wrong export name are errors in the app', async () => {
  const bad = `import { performanceMonitor, requestTracer } from 'bun-apm/middleware';
import { defineConfig } from 'bun-apm';
performanceMonitor({ sampleRate: 'all' });
requestTracer({ sampleRat: 1 });
defineConfig({ routeCap: '100' });
import { noSuchThing } from 'bun-apm/preload';
console.log(noSuchThing);
`;
  const { errors } = await typecheck('ts-bad', BUN_INIT_TSCONFIG, { 'index.ts': bad }, []);
  const lines = errors.split('\n').filter((line) => line.startsWith('index.ts('));
  expect(lines.map((line) => /^index\.ts\((\d+),/.exec(line)![1])).toEqual(['3', '4', '5', '6']);
}, 180_000);
