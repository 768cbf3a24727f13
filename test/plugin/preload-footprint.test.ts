// What the preload leaves in the app's heap. Every module it loads stays there for the app's whole
// run and is marked again by each full garbage collection (the tail latency at saturation), so
// node's big builtins stay out: node:async_hooks (the trace scope) is the one it imports; node:os
// and node:fs are required only where they run late or for the explicit API.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

interface Import {
  path: string;
  kind: string;
}

/** Every node builtin in the preload's import graph, with the kind of import and the module that has it. */
async function builtinImports(): Promise<string[]> {
  const build = await Bun.build({ entrypoints: [join(REPO, 'src/plugin/preload.ts')], target: 'bun', metafile: true, external: ['node:*'] } as Parameters<typeof Bun.build>[0]);
  const inputs = (build as unknown as { metafile: { inputs: Record<string, { imports: Import[] }> } }).metafile.inputs;
  const found: string[] = [];
  for (const [file, { imports }] of Object.entries(inputs)) {
    for (const entry of imports) {
      if (!entry.path.startsWith('node:') && !isBuiltin(entry.path)) continue;
      found.push(`${entry.kind} ${entry.path.replace(/^node:/, '')} in ${file.replace(/^.*src\//, 'src/')}`);
    }
  }
  return found.sort();
}

describe('the preload in the app heap', () => {
  const apps: AppProcess[] = [];
  const sink = new IngestSink().start();
  afterAll(async () => {
    for (const app of apps) await app.kill();
    await sink.stop();
  });

  test('imports node:async_hooks and no other builtin; node:os and node:fs only where they run late', async () => {
    expect(await builtinImports()).toEqual([
      'import-statement async_hooks in src/plugin/runtime/trace-scope.ts',
      // a Hono or bun-router module as it loads: synchronous, or require() of it fails
      'require-call fs in src/plugin/preload/router-hooks.ts',
      'require-call fs in src/plugin/preload/router-versions.ts',
      // a file route's request: its file's time and size, or its absence
      'require-call fs in src/plugin/preload/static-route.ts',
      // the middleware's synchronous default app name (the preload reads package.json through Bun.file)
      'require-call fs in src/plugin/runtime/app-name.ts',
      // at exit, the final send's input, a file the child reads as its stdin
      'require-call fs in src/plugin/runtime/final-send.ts',
      // when a node:http server listens: the app has loaded node:http itself by then
      'require-call http in src/plugin/preload/instrument-node-http.ts',
      // at exit, for the final send's working directory and input file
      'require-call os in src/plugin/runtime/final-send.ts',
      // only where /proc has no host name (not Linux)
      'require-call os in src/plugin/runtime/identity.ts',
    ]);
  });

  test('the instance is named after the host as node:os names it, read without node:os', async () => {
    const app = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: 'footprint' } });
    apps.push(app);
    expect((await app.fetch('/users/1')).status).toBe(200);
    app.process.kill('SIGTERM'); // the final flush
    await app.exited;
    const batch = await waitFor(() => sink.batches.find((b) => b.identity.app === 'footprint'), 10_000);
    expect(batch?.identity.instance).toBe(`${hostname()}:footprint`);
    expect(sink.count()).toBe(1);
  });

  test('on Linux the host name comes from the file, not from node:os', async () => {
    if (process.platform !== 'linux') return;
    const file = join(mkdtempSync(join(tmpdir(), 'bun-apm-host-')), 'hostname');
    writeFileSync(file, 'from-the-file\n');
    // A process of its own: the name is learnt once per process.
    const script = `const m = await import(${JSON.stringify(join(REPO, 'src/plugin/runtime/identity.ts'))}); await m.learnHostName(${JSON.stringify(file)}); console.log(m.processInstance('shop', {}));`;
    const child = Bun.spawnSync([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
    expect(child.stdout.toString().trim()).toBe('from-the-file:shop');
  });

  test("bun-apm's own command line is not monitored under a preload (a bunfig preload applies to `bunx bun-apm`)", () => {
    const run = (args: string[]) =>
      Bun.spawnSync([process.execPath, '--preload', join(REPO, 'src/plugin/preload.ts'), ...args], {
        cwd: REPO,
        env: { ...process.env, BUN_APM_DEBUG: '1', BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: 'cli-check' },
        stdout: 'pipe',
        stderr: 'pipe',
      }).stderr.toString();
    // The control: any other script is monitored, and says so with BUN_APM_DEBUG.
    expect(run(['-e', 'void 0'])).toContain('monitoring cli-check/');
    expect(run([join(REPO, 'src/plugin/cli/main.ts'), '--help'])).not.toContain('monitoring cli-check/');
  });

  test("a warning goes out without node's stream modules entering the app's heap", () => {
    // The same script twice under the preload, the same settings but for the ingest key, whose
    // absence is one warning on stderr; it reports the objects left in its heap after a full
    // collection. Writing through process.stderr left ~5,000 more (Bun builds that stream from
    // node:stream and node:fs); the line itself is a few.
    // It serves once: the missing endpoint or key is said when the first server starts, not at load.
    const script = "Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') }).stop(true); Bun.gc(true); console.log(require('bun:jsc').heapStats().objectCount)";
    const run = (env: Record<string, string>) => {
      const child = Bun.spawnSync([process.execPath, '--preload', join(REPO, 'src/plugin/preload.ts'), '-e', script], {
        cwd: REPO,
        env: { ...process.env, BUN_APM_APP: 'heap-check', BUN_APM_ENDPOINT: 'http://127.0.0.1:9', ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      return { objects: Number(child.stdout.toString().trim()), stderr: child.stderr.toString() };
    };
    const quiet = run({ BUN_APM_INGEST_KEY: 'k' });
    const warned = run({ BUN_APM_INGEST_KEY: '' });
    expect(quiet.stderr).toBe('');
    // The edge has no keyless mode (it answers 401 to a batch without a key): the line says so, not "unless it runs without keys".
    expect(warned.stderr).toBe("bun-apm: BUN_APM_INGEST_KEY is not set: the edge refuses every batch without one (HTTP 401); set it to this app's key in the edge's INGEST_KEYS (`bunx bun-apm keys` prints it)\n");
    expect(quiet.objects).toBeGreaterThan(1000);
    expect(Math.abs(warned.objects - quiet.objects)).toBeLessThan(1000);
  });

  test('a script that never serves says nothing of a missing endpoint or key (a bunfig preload applies to every `bun run`; review)', () => {
    const run = (env: Record<string, string>) =>
      Bun.spawnSync([process.execPath, '--preload', join(REPO, 'src/plugin/preload.ts'), '-e', 'console.log(1)'], {
        cwd: REPO,
        env: { ...process.env, BUN_APM_APP: 'no-serve', ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      }).stderr.toString();
    expect(run({ BUN_APM_ENDPOINT: '' })).toBe('');
    expect(run({ BUN_APM_ENDPOINT: 'http://127.0.0.1:9', BUN_APM_INGEST_KEY: '' })).toBe('');
  });
});
