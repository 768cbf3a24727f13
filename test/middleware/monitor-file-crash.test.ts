// File storage survives kill -9 mid-write: reading back does not crash, and only the torn last
// line (if the kill tore one) is lost of what reached the file.
import { expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performanceMonitor, readMetricsFile } from '../../src/middleware/index.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

test('SIGKILL during writes: the file reads back, at most the torn line lost, and writing resumes on a fresh line', async () => {
  const filePath = join(mkdtempSync(join(tmpdir(), 'bun-apm-crash-')), 'metrics.jsonl');
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'monitor-crash-child.ts'), filePath], { stdout: 'pipe', stderr: 'inherit' });
  try {
    const grown = await waitFor(() => {
      try {
        return statSync(filePath).size > 4_000_000 || undefined;
      } catch {
        return undefined;
      }
    }, 20_000);
    expect(grown).toBe(true);
    child.kill('SIGKILL');
    await child.exited;
  } finally {
    child.kill('SIGKILL');
  }
  expect(child.signalCode).toBe('SIGKILL');

  const text = readFileSync(filePath, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  const tail = text.slice(text.lastIndexOf('\n') + 1);
  const { metrics, skipped } = readMetricsFile(filePath);
  expect(skipped).toBe(tail === '' ? 0 : 1);
  expect(skipped).toBeLessThanOrEqual(1);
  expect(metrics.length).toBe(complete.length);
  expect(metrics.map((m) => m.path)).toEqual(Array.from({ length: metrics.length }, (_, i) => `/items/${i}`));

  // A new process appends after the torn line without gluing onto it.
  const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath, maxEntries: 1_000_000 } });
  await monitor.handle(new Request('http://app.test/after-crash'), async () => new Response('ok'));
  await monitor.close();
  const after = readMetricsFile(filePath);
  expect(after.skipped).toBe(skipped);
  expect(after.metrics.length).toBe(metrics.length + 1);
  expect(after.metrics.at(-1)!.path).toBe('/after-crash');
}, 40_000);
