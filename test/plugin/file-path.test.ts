// The preload's path helpers against node:path (posix and win32) as the oracle: the preload may not
// load node:path itself (it would stay in the app's heap), but what it computes must agree.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseName, dirOf, joinPath, resolvePath } from '../../src/plugin/runtime/file-path.ts';

const POSIX = ['/srv/app/server.ts', '/srv/app/', '/server.ts', 'server.ts', 'dir/server.ts', '/srv//app/x.ts'];
const WINDOWS = ['C:\\', 'C:\\srv\\app\\server.ts', 'C:\\srv\\app\\', 'C:\\server.ts', 'C:/srv/app/server.ts', '\\\\host\\share\\dir\\x.ts'];

describe('file paths without node:path', () => {
  test('baseName and dirOf agree with node:path, posix and win32', () => {
    for (const p of POSIX) {
      expect(baseName(p)).toBe(path.posix.basename(p));
      if (!p.endsWith('/')) expect(dirOf(p)).toBe(path.posix.dirname(p).replace(/^$/, '.'));
    }
    for (const p of WINDOWS) {
      expect(baseName(p)).toBe(path.win32.basename(p));
      if (!p.endsWith('\\')) expect(dirOf(p)).toBe(path.win32.dirname(p));
    }
    expect(baseName('/')).toBe('');
  });

  test('joinPath adds one name with the platform separator, never doubling one', () => {
    for (const dir of ['/srv/app', '/srv/app/', '/']) expect(joinPath(dir, 'package.json')).toBe(path.join(dir, 'package.json'));
    expect(joinPath('C:\\srv\\', 'x.ts')).toBe('C:\\srv\\x.ts');
  });

  test('resolvePath keeps absolute paths and finds relative ones under cwd', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'bun-apm-paths-'));
    mkdirSync(path.join(cwd, 'config'));
    writeFileSync(path.join(cwd, 'config', 'apm.ts'), 'export default {};');
    for (const relative of ['config/apm.ts', './config/apm.ts', 'config/../config/apm.ts']) {
      const resolved = resolvePath(cwd, relative);
      expect(path.resolve(resolved)).toBe(path.resolve(cwd, relative));
      expect(await Bun.file(resolved).exists()).toBe(true);
    }
    expect(resolvePath(cwd, '/etc/x.ts')).toBe('/etc/x.ts');
    expect(resolvePath('C:\\app', 'D:\\x.ts')).toBe('D:\\x.ts');
    expect(resolvePath('C:\\app', '\\\\host\\share\\x.ts')).toBe('\\\\host\\share\\x.ts');
  });
});
