// What the CLI says when something is off: credentials in BUN_APM_ENDPOINT never shown, an --endpoint
// that did not apply said so, a missing directory or a broken package.json named (found by a review).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecks } from '../../../src/plugin/cli/doctor.ts';
import { initApp } from '../../../src/plugin/cli/init.ts';

const CLI = join(import.meta.dir, '..', '..', '..', 'src', 'plugin', 'cli', 'main.ts');

async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd, stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out, err };
}

function newApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-messages-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  return dir;
}

describe('doctor: credentials in BUN_APM_ENDPOINT', () => {
  let failing: ReturnType<typeof Bun.serve>;
  let closedPort: number;
  beforeAll(() => {
    failing = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('{"error":"x"}', { status: 500 }) });
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    closedPort = closed.port!;
    closed.stop(true);
  });
  afterAll(() => failing.stop(true));

  const cases: Array<[string, () => string, RegExp]> = [
    ['an edge answering 500', () => `http://ops:Sup3rS3cretPw@127.0.0.1:${failing.port}`, /^http:\/\/127\.0\.0\.1:\d+ answered HTTP 500/],
    ['an unreachable edge', () => `http://ops:Sup3rS3cretPw@127.0.0.1:${closedPort}`, /^http:\/\/127\.0\.0\.1:\d+ is not reachable/],
    ['a TLS error', () => `https://ops:Sup3rS3cretPw@127.0.0.1:${failing.port}`, /^https:\/\/127\.0\.0\.1:\d+ is not reachable/],
  ];
  for (const [name, endpoint, detail] of cases) {
    test(`${name}: the endpoint is shown without its user info`, async () => {
      const dir = newApp();
      writeFileSync(join(dir, '.env'), 'BUN_APM_INGEST_KEY=ing_abc\n');
      const checks = await runChecks(dir, { BUN_APM_ENDPOINT: endpoint() });
      const output = checks.map((check) => `${check.label} ${check.detail} ${(check.warnings ?? []).join(' ')}`).join('\n');
      expect(checks.find((check) => check.label === 'edge')!.detail).toMatch(detail);
      expect(output).not.toContain('Sup3rS3cretPw');
      expect(output).not.toContain('ops:');
    });
  }
});

describe('init --endpoint', () => {
  test('when .env has BUN_APM_ENDPOINT already, it is kept and a line says the flag was not applied', async () => {
    const dir = newApp();
    writeFileSync(join(dir, '.env'), 'BUN_APM_ENDPOINT=http://127.0.0.1:8787\n');
    const result = await run(['init', '--endpoint', 'https://bun-apm.me.workers.dev'], dir);
    expect(result.code).toBe(0);
    expect(result.out).toContain('--endpoint not applied: .env already sets BUN_APM_ENDPOINT; edit that line to change where the app sends');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('BUN_APM_ENDPOINT=http://127.0.0.1:8787\n');
    expect(readFileSync(join(dir, '.env'), 'utf8')).not.toContain('workers.dev');
  });

  test('no such line when the flag is applied or says what .env says', async () => {
    const fresh = newApp();
    expect((await run(['init', '--endpoint', 'https://bun-apm.me.workers.dev'], fresh)).out).not.toContain('not applied');
    const same = newApp();
    writeFileSync(join(same, '.env'), 'BUN_APM_ENDPOINT=https://bun-apm.me.workers.dev/\n');
    expect((await run(['init', '--endpoint', 'https://bun-apm.me.workers.dev'], same)).out).not.toContain('not applied');
  });
});

describe('a directory or package.json that is not there or not right', () => {
  test('init DIR and doctor DIR for a directory that does not exist say so, exit 1 and write nothing', async () => {
    const dir = newApp();
    const init = await run(['init', './typo-dir'], dir);
    expect(init).toMatchObject({ code: 1, out: '' });
    expect(init.err).toContain('directory ./typo-dir does not exist');
    expect(init.err).not.toContain('ENOENT');
    const doctor = await run(['doctor', './typo-dir'], dir);
    expect(doctor).toMatchObject({ code: 1, out: '' });
    expect(doctor.err).toMatch(/directory .*typo-dir does not exist/);
    expect(readdirSync(dir)).toEqual(['package.json']);
    writeFileSync(join(dir, 'a-file'), '');
    expect(() => initApp(join(dir, 'a-file'))).toThrow('a-file is not a directory');
  });

  test('init with a package.json that is not JSON names the file and the reason, exits 1 and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-messages-'));
    writeFileSync(join(dir, 'package.json'), '{"name": "shop",}\n');
    const init = await run(['init'], dir);
    expect(init.code).toBe(1);
    expect(init.err).toMatch(/package\.json at .*package\.json is not valid JSON: .+; fix it, then run init again/);
    expect(readdirSync(dir)).toEqual(['package.json']);
  });
});
