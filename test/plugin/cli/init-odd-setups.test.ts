// `init`, `edge init` and `doctor` in apps set up as real ones are (a review of the CLI in odd
// setups): a .env git already tracks, ignore files with negations, secrets quoted in .dev.vars, a
// config file of another extension, a file init cannot write, an endpoint answering with the key.
// The command line itself, as a process, in real git repositories.
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withValues } from '../../../src/plugin/cli/dot-env.ts';

const CLI = join(import.meta.dir, '..', '..', '..', 'src', 'plugin', 'cli', 'main.ts');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `under`: /tmp for an app another user must reach (the test run's own temporary directory is private). */
function app(files: Record<string, string>, under = tmpdir()): string {
  const dir = mkdtempSync(join(under, 'bun-apm-odd-'));
  dirs.push(dir);
  chmodSync(dir, 0o777);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function git(dir: string, ...args: string[]): string {
  const child = Bun.spawnSync(['git', '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  if (child.exitCode !== 0 && args[0] !== 'check-ignore') throw new Error(`git ${args.join(' ')}: ${child.stderr.toString()}`);
  return child.stdout.toString();
}

/**
 * Whether the CLI can run as a user files can be read-only for: this user when it is not root; as
 * root, `nobody`, if it can reach Bun and the source (a checkout in a private directory it cannot:
 * those tests are then skipped, said by name, rather than passing on files root writes anyway).
 */
const asAnotherUser =
  process.getuid?.() !== 0 ||
  Bun.spawnSync(['runuser', '-u', 'nobody', '--', process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(CLI)})`], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;

/** The CLI in `dir`, as the user it runs as (`nobody` when given and this runs as root). */
function cli(dir: string, args: string[], as?: 'nobody'): { code: number; out: string } {
  const command = as && process.getuid?.() === 0 ? ['runuser', '-u', as, '--', process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const env = { PATH: process.env.PATH ?? '', HOME: dir };
  const child = Bun.spawnSync(command, { cwd: dir, env, stdout: 'pipe', stderr: 'pipe' });
  return { code: child.exitCode ?? -1, out: child.stdout.toString() + child.stderr.toString() };
}

test('a .env git tracks is left alone: the key goes to .env.local, which git ignores (it had been committed with the next commit)', () => {
  const env = 'PUBLIC_API=https://api.example.com\n';
  const dir = app({ 'package.json': '{"name":"shop"}', '.env': env, '.gitignore': 'node_modules\n.env*.local\n' });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'app');
  const run = cli(dir, ['init']);
  expect(run.code).toBe(0);
  expect(run.out).toContain('git tracks .env');
  expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(env);
  expect(readFileSync(join(dir, '.env.local'), 'utf8')).toMatch(/^BUN_APM_INGEST_KEY=ing_[A-Za-z0-9_-]{32}$/m);
  // Nothing of the key shows to git: .env unchanged, .env.local ignored (by the app's own pattern).
  expect(git(dir, 'status', '--porcelain', '--untracked-files=all').split('\n').filter((line) => line.includes('.env'))).toEqual([]);
});

test('ignore files git reads otherwise than a line match: `.env*` then `!.env`, and `.env/` alone, get .env added', () => {
  for (const ignore of ['.env*\n!.env\n', '.env/\n']) {
    const dir = app({ 'package.json': '{"name":"shop"}', '.gitignore': ignore });
    git(dir, 'init', '-q');
    expect(cli(dir, ['init']).code).toBe(0);
    expect(git(dir, 'check-ignore', '.env').trim()).toBe('.env');
  }
  // An ignore of this clone alone (.git/info/exclude) is no .gitignore: the next clone would commit the key.
  const local = app({ 'package.json': '{"name":"shop"}' });
  git(local, 'init', '-q');
  writeFileSync(join(local, '.git', 'info', 'exclude'), '.env\n');
  expect(cli(local, ['init']).code).toBe(0);
  expect(readFileSync(join(local, '.gitignore'), 'utf8')).toBe('.env\n');
  // Outside a git work tree the lines are read in order too.
  const plain = app({ 'package.json': '{"name":"shop"}', '.gitignore': '.env*\n!.env\n' });
  expect(cli(plain, ['init']).code).toBe(0);
  expect(readFileSync(join(plain, '.gitignore'), 'utf8')).toBe('.env*\n!.env\n.env\n');
});

test('a bun-apm.config.js the app has is kept, and no .ts is written to be read before it', () => {
  const dir = app({ 'package.json': '{"name":"shop"}', 'bun-apm.config.js': 'export default { samplesPerSecond: 3 };\n' });
  const run = cli(dir, ['init']);
  expect(run.code).toBe(0);
  expect(run.out).toContain('kept  bun-apm.config.js');
  expect(Bun.file(join(dir, 'bun-apm.config.ts')).size).toBe(0);
});

test.skipIf(!asAnotherUser)('a file init cannot write stops it before it writes any (a half-done init had left the preload without a key)', () => {
  const dir = app({ 'package.json': '{"name":"shop"}', '.env': 'A=1\n' }, '/tmp');
  chmodSync(join(dir, '.env'), 0o444);
  const run = cli(dir, ['init'], 'nobody');
  expect(run.code).not.toBe(0);
  expect(run.out).toContain('.env cannot be written (permission denied): nothing was changed');
  for (const name of ['bunfig.toml', 'bun-apm.config.ts', '.gitignore']) expect(Bun.file(join(dir, name)).size).toBe(0);
});

test('a repository git cannot read: init stops naming why, and writes nothing (taking it for untracked had written the key into a tracked .env)', () => {
  const dir = app({ 'package.json': '{"name":"shop"}', '.env': 'A=1\n', '.git': 'gitdir: /nonexistent/worktree\n' });
  const run = cli(dir, ['init']);
  expect(run.code).not.toBe(0);
  expect(run.out).toContain('git cannot tell whether it tracks .env, where the ingest key would go');
  expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('A=1\n');
  for (const name of ['bunfig.toml', 'bun-apm.config.ts', '.gitignore']) expect(Bun.file(join(dir, name)).size).toBe(0);
});

test.skipIf(!asAnotherUser)('a read-only .gitignore that already ignores .env is no reason to stop', () => {
  const dir = app({ 'package.json': '{"name":"shop"}', '.gitignore': '.env\n' }, '/tmp');
  chmodSync(join(dir, '.gitignore'), 0o444);
  const run = cli(dir, ['init'], 'nobody');
  expect(run.code).toBe(0);
  expect(run.out).toContain('kept  .gitignore');
  expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('BUN_APM_INGEST_KEY=');
});

test('.dev.vars lines that already hold their value stay as written; a value that needs quotes is quoted', () => {
  const text = 'export API_KEYS=abc # mine\r\nSESSION_SECRET="s3cr3t#with hash"\r\n';
  expect(withValues(text, { API_KEYS: 'abc', SESSION_SECRET: 's3cr3t#with hash' })).toBe(text);
  expect(withValues(text, { API_KEYS: 'new', EXTRA: 'a#b c' })).toBe('API_KEYS=new\r\nSESSION_SECRET="s3cr3t#with hash"\r\nEXTRA=\'a#b c\'\r\n');
});

test("doctor quotes an endpoint's error answer: one line, no control characters, the key it echoes hidden", async () => {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => new Response(`upstream error for ${req.headers.get('authorization')}\nFORGED LINE \u001b[31mRED`, { status: 502 }),
  });
  try {
    const key = 'ing_0123456789abcdefghijklmnopqrstuv';
    const dir = app({ 'package.json': '{"name":"shop"}', '.env': `BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=${key}\nBUN_APM_ENDPOINT=http://127.0.0.1:${server.port}\n` });
    const proc = Bun.spawn([process.execPath, CLI, 'doctor'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdout: 'pipe', stderr: 'pipe' });
    const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
    await proc.exited;
    const line = out.split('\n').find((l) => l.includes('answered HTTP 502'));
    expect(line).toBeDefined();
    expect(line).toContain('upstream error for <redacted> FORGED LINE');
    expect(out).not.toContain(key);
    expect(out).not.toContain('\u001b');
    expect(out.split('\n').some((l) => l.startsWith('FORGED'))).toBe(false);
  } finally {
    server.stop(true);
  }
});

test("doctor tells a refusal that is no bun-apm edge's (a proxy's 401) from the edge refusing the key", async () => {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('<html>Sign in to Access</html>', { status: 403 }) });
  try {
    const dir = app({ 'package.json': '{"name":"shop"}', '.env': `BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=ing_0123456789abcdefghijklmnopqrstuv\nBUN_APM_ENDPOINT=http://127.0.0.1:${server.port}\n` });
    const proc = Bun.spawn([process.execPath, CLI, 'doctor'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdout: 'pipe', stderr: 'pipe' });
    const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
    await proc.exited;
    expect(out).toContain("answered HTTP 403 without a bun-apm edge's error (<html>Sign in to Access</html>)");
    expect(out).not.toContain('INGEST_KEYS');
  } finally {
    server.stop(true);
  }
});
