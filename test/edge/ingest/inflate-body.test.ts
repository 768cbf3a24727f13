// The edge's gzip reader (inflateBody) on its own in workerd: bytes come back exactly, whatever
// they compress to; output is counted against the cap slice by slice, so a bomb costs about the
// cap in time and memory however far it would inflate; broken gzip is a 400 invalid_gzip.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleModule, readWranglerConfig } from '../../../scripts/local-edge.ts';
import { makeBatch } from '../../support/batch.ts';
import { WorkerdMemory, workerdChildren } from '../fuzz/workerd-memory.ts';
import { gzipOfRepeated } from './support.ts';

const MIB = 1024 * 1024;
const CAP = 20 * MIB;
let mf: Miniflare;
let url: URL;
let memory: WorkerdMemory | null;
let gibBomb: Promise<Uint8Array<ArrayBuffer>> | undefined;
/** 1 GiB of spaces, gzipped (~1 MB): made once. */
const bombOfAGiB = () => (gibBomb ??= gzipOfRepeated(32, 1024 * MIB));

beforeAll(async () => {
  const running = workerdChildren();
  const config = await readWranglerConfig();
  mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: await bundleModule(join(import.meta.dir, 'fixtures/inflate-entry.ts')) }],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
  });
  url = await mf.ready;
  memory = WorkerdMemory.started(running);
});

afterAll(async () => {
  await mf?.dispose();
});

async function inflate(gzip: Uint8Array<ArrayBuffer>, cap = CAP): Promise<{ status: number; bytes: Uint8Array; code?: string; ms: number; growth: number }> {
  memory?.resetPeak();
  const rss = memory?.rss() ?? 0;
  const started = performance.now();
  const response = await fetch(new URL(`/?cap=${cap}`, url), { method: 'POST', body: gzip });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const ms = performance.now() - started;
  const code = response.status === 200 ? undefined : JSON.parse(new TextDecoder().decode(bytes)).code;
  return { status: response.status, bytes, code, ms, growth: (memory?.peak() ?? 0) - rss };
}

function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Bun.hash(actual)).toBe(Bun.hash(expected));
}

describe('inflateBody in workerd', () => {
  const random = crypto.getRandomValues(new Uint8Array(3 * MIB));
  const json = new TextEncoder().encode(JSON.stringify(Array.from({ length: 400 }, () => makeBatch())));
  const cases: Array<[string, Uint8Array<ArrayBuffer>]> = [
    ['a batch', new TextEncoder().encode(JSON.stringify(makeBatch()))],
    ['400 batches (several MiB, ratio ~20:1)', json],
    ['3 MiB of random bytes (stored blocks, one read per 4 KiB)', random],
    ['exactly the cap of spaces (ratio ~1000:1)', new Uint8Array(CAP).fill(32)],
    ['nothing', new Uint8Array(0)],
  ];
  for (const [name, plain] of cases) {
    test(`${name} comes back byte for byte`, async () => {
      for (const level of [1, 9] as const) {
        const { status, bytes } = await inflate(Bun.gzipSync(plain, { level }));
        expect(status).toBe(200);
        expectSame(bytes, plain);
      }
    });
  }

  test('one byte past the cap is a 413', async () => {
    const { status, code } = await inflate(Bun.gzipSync(new Uint8Array(CAP + 1).fill(32)));
    expect([status, code]).toEqual([413, 'payload_too_large']);
  });

  test('a 1 GiB bomb (1 MB of gzip) is refused in well under a second or two, workerd growing by about the cap', async () => {
    const bomb = await bombOfAGiB();
    const { status, code, ms, growth } = await inflate(bomb);
    expect([status, code]).toEqual([413, 'payload_too_large']);
    console.log(`1 GiB bomb: ${Math.round(ms)} ms, workerd peak +${Math.round(growth / MIB)} MiB`);
    // Before: 8–12 s and +1.2 GB (the whole GiB inflated before the cap was looked at).
    expect(ms).toBeLessThan(2_000);
    if (memory !== null) expect(growth).toBeLessThan(128 * MIB);
  }, 60_000);

  test('a small cap stops the inflating early: 64 KiB of a 1 GiB bomb', async () => {
    const { status, ms } = await inflate(await bombOfAGiB(), 64 * 1024);
    expect(status).toBe(413);
    expect(ms).toBeLessThan(1_000);
  }, 60_000);

  const good = Bun.gzipSync(new TextEncoder().encode(JSON.stringify(makeBatch())));
  const broken: Array<[string, Uint8Array<ArrayBuffer>]> = [
    ['not gzip at all', new TextEncoder().encode('this is not gzip at all')],
    ['cut short', good.subarray(0, 60)],
    ['cut short after many slices', Bun.gzipSync(random).subarray(0, 2 * MIB)],
    ['a flipped byte in the compressed data', (() => { const b = good.slice(); b[40]! ^= 0xff; return b; })()],
    ['bytes after the end', new Uint8Array([...good, 1, 2, 3])],
  ];
  for (const [name, body] of broken) {
    test(`${name}: 400 invalid_gzip`, async () => {
      const { status, code } = await inflate(body);
      expect([status, code]).toEqual([400, 'invalid_gzip']);
    });
  }
});
