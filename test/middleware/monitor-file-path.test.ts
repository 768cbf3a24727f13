// File storage at a path that can't be used (found by a review): a directory, a path under a file or
// under /proc had thrown the raw fs error (EISDIR, EEXIST, ENOENT: no option, often no path) or been
// taken and failed at every write. Each is a ConfigError at construction naming storage.filePath and
// the path; a directory that goes away while the app runs still only drops records, with a warning.
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performanceMonitor } from '../../src/middleware/index.ts';
import { thrown } from '../support/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-file-path-'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, '');

test.each([
  ['a path under a file', join(aFile, 'metrics.jsonl'), 'EEXIST'],
  ['a path under /proc, where nothing can be made', '/proc/bun-apm-nope', 'ENOENT'],
  ['a directory under /proc', '/proc/bun-apm-nope/metrics.jsonl', 'ENOENT'],
])('storage.filePath %s is a ConfigError naming the option and the path', (_, filePath, code) => {
  const error = thrown(() => performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath } }));
  expect(error.message).toStartWith(`performanceMonitor option storage.filePath: can't append to ${JSON.stringify(filePath)} (${code})`);
});

// A review: a device or a pipe was read to its end to count its lines, blocking the app's start
// for good (/dev/stdout piped, a FIFO) or spinning (/dev/full).
const fifo = join(dir, 'a-fifo');
Bun.spawnSync(['mkfifo', fifo]);
test.each([
  ['a directory', dir, 'directory'],
  ['a device that is never at its end', '/dev/full', 'device'],
  ['a pipe', fifo, 'pipe'],
])('storage.filePath at %s is a ConfigError at once, naming what it is', (_, filePath, kind) => {
  const error = thrown(() => performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath } }));
  expect(error.message).toStartWith(`performanceMonitor option storage.filePath: ${JSON.stringify(filePath)} is a ${kind}, not a file;`);
});

test('a directory removed while the app runs: requests are answered, records dropped with one warning', async () => {
  const home = join(dir, 'logs');
  const filePath = join(home, 'metrics.jsonl');
  const lines: string[] = [];
  const monitor = performanceMonitor({ profiling: { enabled: false }, log: (line) => lines.push(line), storage: { type: 'file', filePath } });
  try {
    rmSync(home, { recursive: true });
    for (let i = 0; i < 3; i++) expect((await monitor.handle(new Request(`http://app.test/gone/${i}`), async () => new Response('ok'))).status).toBe(200);
    await monitor.flush();
    // Named by its code, as at construction (was "(Error)").
    expect(lines.filter((line) => line.includes(`writing ${filePath} failed (ENOENT)`)).length).toBe(1);
  } finally {
    await monitor.close();
  }
});
