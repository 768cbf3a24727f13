// fromGlobalConfig given a config whose monitoring section it cannot find (a misspelt key on the way
// to it) says so, naming the key and the one it resembles: it had returned no middleware without a
// word, and the app ran unmonitored (a review). Run in a child process: the line goes to stderr.
import { expect, test } from 'bun:test';
import { join } from 'node:path';

const INDEX = join(import.meta.dir, '..', '..', 'src', 'middleware', 'index.ts');

async function warnings(config: unknown): Promise<{ lines: string[]; middlewares: number }> {
  const code = `import { fromGlobalConfig } from ${JSON.stringify(INDEX)};\nconsole.log(fromGlobalConfig(${JSON.stringify(config)}).middlewares.length);`;
  const child = Bun.spawn([process.execPath, '-e', code], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { lines: err.split('\n').filter((line) => line !== ''), middlewares: Number(out.trim()) };
}

const NONE = 'bun-apm: fromGlobalConfig: the config has no server.performance.monitoring, monitoring or tracing';

test.each([
  [{ server: { performance: { monitorng: { enabled: true } } } }, `${NONE} (server.performance.monitorng: did you mean monitoring?): nothing is monitored`],
  [{ server: { port: 3000, performence: { monitoring: { enabled: true } } } }, `${NONE} (server.performence: did you mean performance?): nothing is monitored`],
  [{ sever: { performance: { monitoring: {} } } }, `${NONE} (sever: did you mean server?): nothing is monitored`],
  [{ server: { port: 3000 } }, `${NONE}: nothing is monitored`],
])('%j: one line naming it, no middleware', async (config, line) => {
  expect(await warnings(config)).toEqual({ lines: [line], middlewares: 0 });
});

test('a config with a section says nothing, and a tracing section alone is a tracer (it had been ignored)', async () => {
  expect(await warnings({ server: { performance: { monitoring: { enabled: true, profiling: { enabled: false } } } } })).toEqual({ lines: [], middlewares: 1 });
  expect(await warnings({ tracing: { enabled: true } })).toEqual({ lines: [], middlewares: 1 });
});
