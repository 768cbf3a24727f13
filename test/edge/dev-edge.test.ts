// `bun run dev:edge` as a process: it starts on PORT, generates and keeps local keys (or takes them
// from the environment), persists state in its folder, fires the cron on /__scheduled, and stops
// cleanly on SIGTERM.
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { makeBatch } from '../support/batch.ts';

const ROOT = resolve(import.meta.dir, '../..');
const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-dev-edge-'));
const running = new Set<Subprocess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

interface Started {
  child: Subprocess<'ignore', 'pipe', 'pipe'>;
  base: string;
  output: string;
}

/** Starts the script and reads its output until it says where it listens. */
async function startDevEdge(env: Record<string, string>): Promise<Started> {
  const child = Bun.spawn([process.execPath, join(ROOT, 'scripts/dev-edge.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', BUN_APM_STATE_DIR: stateDir, ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  running.add(child);
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let output = '';
  const deadline = Date.now() + 20_000;
  while (!/point an app at it:\n.*\n/.test(output)) {
    if (Date.now() > deadline) throw new Error(`dev:edge did not start: ${output}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`dev:edge exited: ${output}${await new Response(child.stderr).text()}`);
    output += decoder.decode(value);
  }
  reader.releaseLock();
  const base = /ready at (http:\/\/\S+)/.exec(output)![1]!;
  return { child, base, output };
}

/** SIGTERM; resolves true once the process has ended and its workerd no longer listens. */
async function stopDevEdge({ child, base }: Started): Promise<boolean> {
  child.kill('SIGTERM');
  const code = await child.exited;
  running.delete(child);
  // Ended by the signal (128 + 15) after Miniflare's exit hook stopped workerd.
  expect([0, 143]).toContain(code);
  return fetch(`${base}/healthz`).then(() => false, () => true);
}

const keyIn = (output: string, name: string) => new RegExp(`^  ${name}=(\\S+)`, 'm').exec(output)![1]!;

describe('dev:edge', () => {
  let ingestKey: string;
  let readKey: string;

  test('generates local keys, prints URLs and keys, ingests, answers and fires the cron', async () => {
    const edge = await startDevEdge({});
    expect(edge.output).toContain(`ingest      POST ${edge.base}/v1/ingest`);
    expect(edge.output).toMatch(/INGEST_KEYS=demo:\S+ +\(generated, kept in /);
    ingestKey = keyIn(edge.output, 'INGEST_KEYS').slice('demo:'.length);
    readKey = keyIn(edge.output, 'API_KEYS').slice('*:'.length);
    expect(statSync(join(stateDir, 'dev-keys.json')).mode & 0o777).toBe(0o600);
    const batch = makeBatch();
    batch.identity.app = 'demo';
    const ingest = await fetch(`${edge.base}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Bun.gzipSync(JSON.stringify(batch)),
    });
    expect(ingest.status).toBe(202);
    const apps = await fetch(`${edge.base}/api/v1/apps`, { headers: { 'x-api-key': readKey } });
    expect(await apps.json()).toEqual({ apps: ['demo'] });
    // A minute of the past, as a replay names one (one ahead of the clock is not evaluated).
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const tick = await fetch(`${edge.base}/__scheduled?cron=*+*+*+*+*&time=${minute}`);
    expect(await tick.json()).toEqual({ ok: true, cron: '* * * * *', scheduledTime: minute });
    const status = await fetch(`${edge.base}/api/v1/apps/demo/status`, { headers: { 'x-api-key': readKey } });
    expect(((await status.json()) as any).lastTick).toBe(minute);
    expect(await stopDevEdge(edge)).toBe(true);
  }, 30_000);

  test('a restart keeps the keys and the data', async () => {
    const edge = await startDevEdge({});
    expect(keyIn(edge.output, 'INGEST_KEYS')).toBe(`demo:${ingestKey}`);
    const summary = await fetch(`${edge.base}/api/v1/apps/demo/summary`, { headers: { 'x-api-key': readKey } });
    expect(((await summary.json()) as any).requests).toBe(3);
    expect(existsSync(join(stateDir, 'state'))).toBe(true);
    expect(await stopDevEdge(edge)).toBe(true);
  }, 30_000);

  test('keys and vars from the environment win', async () => {
    const edge = await startDevEdge({ INGEST_KEYS: 'shop:env-ingest-key', API_KEYS: 'shop:env-read-key', ROUTE_CAP: '7' });
    expect(edge.output).toContain('INGEST_KEYS=shop:env-ingest-key   (from the environment)');
    expect(edge.output).toMatch(/ADMIN_API_KEY=\S+ +\(generated/);
    const status = await fetch(`${edge.base}/api/v1/apps/shop/status`, { headers: { 'x-api-key': 'env-read-key' } });
    expect(((await status.json()) as any).routes.cap).toBe(7);
    const old = await fetch(`${edge.base}/api/v1/apps`, { headers: { 'x-api-key': readKey } });
    expect(old.status).toBe(401);
    expect(await stopDevEdge(edge)).toBe(true);
  }, 30_000);
});
