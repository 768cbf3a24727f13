// The sign-in failure limits survive the DashboardSessions object's eviction and a restart (a
// deploy), against the real Worker in workerd restarted over the same state folder: an address that
// used its free tries gets no fresh five afterwards, its wait keeps doubling, and the credential's
// cap (an attack spread over many addresses) holds too; a success still clears the address.
import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { call, DASHBOARD_SECRETS, header, startDashboardEdge } from './security/support.ts';

setDefaultTimeout(120_000);

const { DASHBOARD_API_KEY: KEY } = DASHBOARD_SECRETS;
const FRAGMENT = '/performance/fragments/summary?app=shop';

let edge: LocalEdge | undefined;
let dir: string | undefined;

afterEach(async () => {
  await edge?.dispose();
  edge = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Stops the runtime (the object with it: as an eviction or a deploy) and starts it over the same state. */
async function restart(): Promise<LocalEdge> {
  await edge?.dispose();
  dir ??= mkdtempSync(join(tmpdir(), 'bun-apm-sign-in-limits-'));
  // The deployed entry keys the limits by the socket's address, as Cloudflare would.
  edge = await startDashboardEdge({ entry: 'production', persistDir: dir });
  return edge;
}

const withKey = (key: string, from: string) => ({ from, headers: { 'x-api-key': key } });
const attempt = async (key: string, from: string) => (await call(edge!.url, FRAGMENT, withKey(key, from))).status;

describe('sign-in limits across restarts', () => {
  test('an address that used its five tries gets no fresh five after a restart: its next failure doubles the wait', async () => {
    await restart();
    const from = '127.0.0.2';
    for (let i = 0; i < 5; i++) expect(await attempt(`wrong-${i}`, from)).toBe(401);
    const limited = await call(edge!.url, FRAGMENT, withKey(KEY, from));
    expect(limited.status).toBe(429);
    expect(Number(header(limited, 'retry-after'))).toBe(1);

    await restart();
    await Bun.sleep(1100);
    // The 1 s wait is over: one more guess is checked (the sixth failure), then the wait is 2 s.
    expect(await attempt('wrong-after-restart', from)).toBe(401);
    const doubled = await call(edge!.url, FRAGMENT, withKey(KEY, from));
    expect(doubled.status).toBe(429);
    expect(Number(header(doubled, 'retry-after'))).toBe(2);

    // Again over a restart: the wait that was set before it is still owed after it.
    await Bun.sleep(2100);
    expect(await attempt('wrong-again', from)).toBe(401);
    await restart();
    const owed = await call(edge!.url, FRAGMENT, withKey(KEY, from));
    expect(owed.status).toBe(429);
    expect(Number(header(owed, 'retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(header(owed, 'retry-after'))).toBeLessThanOrEqual(4);
    // Other addresses were never limited.
    expect(await attempt(KEY, '127.0.0.3')).toBe(200);
  });

  test('a success clears the address, and that too survives a restart', async () => {
    await restart();
    const from = '127.0.0.4';
    for (let i = 0; i < 4; i++) expect(await attempt(`wrong-${i}`, from)).toBe(401);
    expect(await attempt(KEY, from)).toBe(200);
    await restart();
    for (let i = 0; i < 5; i++) expect(await attempt(`wrong-later-${i}`, from)).toBe(401);
    expect(await attempt(KEY, from)).toBe(429);
  });

  test('the credential\'s cap holds across a restart: a spread attack does not get a fresh twenty', async () => {
    await restart();
    // Five addresses failing 4 times each: none reaches its own limit; the key's 20 free failures run out.
    for (let client = 10; client < 15; client++) {
      for (let i = 0; i < 4; i++) expect(await attempt(`spray-${client}-${i}`, `127.0.0.${client}`)).toBe(401);
    }
    expect(await attempt(KEY, '127.0.0.40')).toBe(429);

    await restart();
    await Bun.sleep(1100);
    // Past the 1 s wait, one more spread guess is checked; then the key waits 2 s for every stranger.
    expect(await attempt('spray-after-restart', '127.0.0.41')).toBe(401);
    const stranger = await call(edge!.url, FRAGMENT, withKey(KEY, '127.0.0.42'));
    expect(stranger.status).toBe(429);
    expect(Number(header(stranger, 'retry-after'))).toBe(2);
  });
});
