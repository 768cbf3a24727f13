// The exit's send when the child cannot start with the trace exporters' part (E2BIG, the environment
// past the system's limit): the edge's batches go again alone and the exporters' spans are counted as
// not sent, with why. A real edge stand-in on 127.0.0.1, in a process of its own (this one blocks
// while the child sends); the spawn refused as Linux refuses it.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { sendSync } from '../../src/plugin/runtime/final-send.ts';
import { makeBatch } from '../support/batch.ts';

const KEY = 'fallback-key';
let sink: ReturnType<typeof Bun.spawn> | undefined;
let ports = { port: 0, stats: 0 };
beforeAll(async () => {
  sink = Bun.spawn([process.execPath, join(import.meta.dir, 'fixtures', 'ingest-sink-process.ts')], { env: { ...process.env, SINK_KEY: KEY }, stdout: 'pipe' });
  const reader = (sink.stdout as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
  ports = JSON.parse(text);
});
afterAll(() => sink?.kill());

test("a spawn refused with the exporters' part: the edge's batches go alone, the exporters' spans counted as not sent", async () => {
  const batch = makeBatch();
  const body = Bun.gzipSync(JSON.stringify(batch));
  const spawnSync = Bun.spawnSync;
  const envs: string[] = [];
  // As posix_spawn answers an environment past ARG_MAX: only while the exporters' targets are in it.
  (Bun as { spawnSync: unknown }).spawnSync = (options: { env: Record<string, string> }) => {
    const exports = options.env.BUNAPM_FINAL_SEND_EXPORTS!;
    envs.push(exports);
    if (exports !== '[]') throw Object.assign(new Error("E2BIG: argument list too long, posix_spawn 'bun'"), { code: 'E2BIG' });
    return spawnSync(options as never);
  };
  try {
    const outcome = sendSync(
      { endpoint: `http://127.0.0.1:${ports.port}`, ingestKey: KEY, sdkVersion: '0.1.0' },
      [{ body, lost: { requests: 3, rollups: 2 } }],
      {
        deadline: performance.now() + 2000,
        exports: [7, 5].map((spans) => ({ exporter: 'otlp', url: 'http://127.0.0.1:9/v1/traces', headers: { authorization: 'Bearer t' }, body: new Uint8Array(10), spans })),
      },
    );
    // Tried with the targets (each distinct one once: one here, though two requests), twice (the cwd fallback), then alone.
    expect(envs).toEqual([JSON.stringify([{ url: 'http://127.0.0.1:9/v1/traces', headers: { authorization: 'Bearer t' } }]), envs[0]!, '[]']);
    expect(outcome.sent).toBe(1);
    expect(await (await fetch(`http://127.0.0.1:${ports.stats}/`)).json()).toEqual([batch.batchId]);
    expect(outcome.exported).toMatchObject({ sent: 0, failed: 0, unanswered: 0, unsent: 12 });
    expect(outcome.exported.why).toStartWith("the exit's child could not start with them (E2BIG");
  } finally {
    (Bun as { spawnSync: unknown }).spawnSync = spawnSync;
  }
});
