// Writes a bun-apm.config.ts into a fresh temporary directory, for BUN_APM_CONFIG.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `source` may be a function of the directory, for configs that write files next to themselves. */
export function writeConfig(source: string | ((dir: string) => string)): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-test-'));
  const file = join(dir, 'bun-apm.config.ts');
  writeFileSync(file, typeof source === 'function' ? source(dir) : source);
  return file;
}

/** Retries that fit in a test: 3 attempts, backoff from 20 ms. */
export const FAST_RETRY = `export: { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 100, timeoutMs: 2000 }`;
