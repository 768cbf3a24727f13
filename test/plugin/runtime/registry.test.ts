// The process-wide registry under two copies of bun-apm in one process (a second install, a bundle):
// copies of the same registry version share one request state, so a request is counted once; a copy
// of another version, loaded before or after, leaves the other's registry exactly as it was and
// keeps its own. Each case runs in a fresh Bun process, since the registry lives on globalThis.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REGISTRY_VERSION } from '../../../src/plugin/runtime/registry.ts';

const SRC = resolve(import.meta.dir, '..', '..', '..', 'src');
const FIXTURE = join(import.meta.dir, 'fixtures', 'registry-copies.ts');
let dir: string;

/** A copy of src/core and src/plugin/runtime, with the registry's version set to `version`. */
function copyOfRuntime(name: string, version: number | undefined): string {
  const root = join(dir, name);
  cpSync(join(SRC, 'core'), join(root, 'core'), { recursive: true });
  cpSync(join(SRC, 'plugin', 'runtime'), join(root, 'plugin', 'runtime'), { recursive: true });
  if (version !== undefined) {
    const path = join(root, 'plugin', 'runtime', 'registry.ts');
    const source = readFileSync(path, 'utf8');
    const edited = source.replace(/export const REGISTRY_VERSION = \d+;/, `export const REGISTRY_VERSION = ${version};`);
    expect(edited).not.toBe(source);
    writeFileSync(path, edited);
  }
  return root;
}

async function run(copy: string, order: string): Promise<Record<string, unknown>> {
  const child = Bun.spawn([process.execPath, FIXTURE, copy, order], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, BUN_APM_DISABLED: '1' } });
  const timer = setTimeout(() => child.kill(), 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout) as Record<string, unknown>;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bun-apm-registry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('process-wide registry', () => {
  test('a second copy of the same version shares it: each copy finds the request the other recorded', async () => {
    const result = await run(copyOfRuntime('same', undefined), 'first');
    expect(result).toEqual({
      keyUntouched: true, slotsUnchanged: true, firstShared: true, secondShared: true, sameRegistry: true,
      firstRecords: { own: true, seenBy: [true] }, secondRecords: { own: true, seenBy: [true] }, replaced: false,
    });
  });

  for (const order of ['first', 'second']) {
    test(`a copy of another version loaded ${order === 'first' ? 'after' : 'before'} this one: the first registry stays as it was, each counts on its own`, async () => {
      const result = await run(copyOfRuntime(`other-${order}`, 2), order);
      expect(result).toEqual({
        keyUntouched: true, slotsUnchanged: true, firstShared: true, secondShared: false, sameRegistry: false,
        // Neither reads the other's request state (of a shape it may not know): each records its own.
        firstRecords: { own: true, seenBy: [false] }, secondRecords: { own: true, seenBy: [false] }, replaced: false,
      });
    });
  }

  test('an older or unknown object under the key is left exactly as it was, and this copy still records', async () => {
    const result = await run(dir, 'foreign-first');
    expect(result).toEqual({ keyUntouched: true, foreignUnchanged: true, oursShared: false, oursVersion: REGISTRY_VERSION, record: { own: true, seenBy: [] } });
  });
});
