// The demo's promise: Ctrl-C stops everything it started, nothing is left answering, and the
// services' last counts reach the edge before it stops.
import { expect, test } from 'bun:test';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');

test('Ctrl-C stops the demo, its services and its edge, the edge last', async () => {
  // In a session of its own, as a terminal runs it: Ctrl-C there signals the whole process group.
  const demo = Bun.spawn([process.execPath, 'scripts/demo.ts'], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdout: 'pipe', stderr: 'pipe', detached: true });
  const stderr = new Response(demo.stderr).text();
  const reader = demo.stdout.getReader();
  let out = '';
  const deadline = Date.now() + 60_000;
  while (!/services\s+storefront/.test(out) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  const dashboard = /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const services = [...out.matchAll(/http:\/\/127\.0\.0\.1:(\d+)\s/g)].map((m) => `http://127.0.0.1:${m[1]}`);
  expect(dashboard).toBeDefined();
  expect(services.length).toBeGreaterThanOrEqual(2);
  // Everything answers while the demo runs, and traffic has been counted since the last flush.
  for (const url of [`${dashboard}/healthz`, ...services]) expect((await fetch(url).catch(() => null)) !== null).toBe(true);
  await Bun.sleep(1500);
  process.kill(-demo.pid, 'SIGINT');
  // Read on to the end, as a terminal does: a reader gone would fail the demo's own writes (EPIPE).
  while (!(await reader.read()).done);
  const code = await demo.exited;
  if (code !== 0) console.error(`the demo ended with ${code}; its stderr:\n${await stderr}`);
  expect(code).toBe(0);
  // Each service says at exit what did not reach the edge; the edge stopped after them, so nothing.
  expect((await stderr).split('\n').filter((line) => line.includes('at exit'))).toEqual([]);
  for (const url of [`${dashboard}/healthz`, ...services]) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => 'answered', () => 'refused');
    expect(`${url}: ${answer}`).toBe(`${url}: refused`);
  }
}, 90_000);
