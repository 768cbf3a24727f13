// Preloaded by `bun test` (bunfig.toml): every temporary directory of the run, the tests' own and
// their child processes' (apps, wrangler, workerd), goes under one directory removed when the run
// ends. Tests make ~70 of them a run (~350 MB: installed tarballs, built binaries); left in /tmp
// they filled a disk after a few dozen runs.
import { afterAll } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'bun-apm-test-run-'));
process.env.TMPDIR = root; // node:os's tmpdir() reads it on every call, and children inherit it

// Removing a run's ~350 MB (a clone with its node_modules among them) took past the 30 s a hook
// may take on a loaded machine, which failed the run as "(unnamed)": this hook may take 10 minutes.
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
}, 600_000);
