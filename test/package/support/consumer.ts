// bun-apm as its users meet it: the tarball `npm pack` makes (packed once per test run) installed
// with `bun add` into temporary apps that have their own package.json and tsconfig. The apps import
// only `bun-apm/...`, never this repository's sources.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const REPO = join(import.meta.dir, '..', '..', '..');
const BIN = join(REPO, 'node_modules', '.bin');
const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
export const VERSION = PKG.version;
export const TARBALL_NAME = `bun-apm-${VERSION}.tgz`;

/** The version this repository pins, so a temp app installs the router its examples were written for. */
export const pinned = (name: string): string => `${name}@${PKG.devDependencies[name]}`;

export interface Packed {
  path: string;
  bytes: number;
  unpackedBytes: number;
  files: string[];
}

const cleanups: string[] = [];
process.on('exit', () => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

/** A temp directory removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(dir);
  return dir;
}

/**
 * The environment of a consumer's commands: this process's, minus BUN_APM_* of the developer's
 * shell, with this repository's bun, bunx and wrangler first on PATH (what a user has installed).
 */
export function consumerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) env[key] = value;
  return { ...env, PATH: `${BIN}:${dirname(process.execPath)}:${env.PATH ?? ''}`, NO_COLOR: '1', WRANGLER_SEND_METRICS: 'false', ...extra };
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs a command to completion (bounded in time) and returns its output. */
export async function run(command: string[], cwd: string, env: Record<string, string> = consumerEnv(), timeoutMs = 120_000): Promise<Run> {
  const child = Bun.spawn(command, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  clearTimeout(killer);
  return { code: await child.exited, out, err };
}

/** Fails with the command's output unless it exited 0. */
export async function runOk(command: string[], cwd: string, env?: Record<string, string>, timeoutMs?: number): Promise<Run> {
  const result = await run(command, cwd, env, timeoutMs);
  if (result.code !== 0) throw new Error(`${command.join(' ')} exited ${result.code}:\n${result.out.slice(-3000)}\n${result.err.slice(-3000)}`);
  return result;
}

let packing: Promise<Packed> | undefined;

/** `npm pack` of this repository, once per test process. */
export function packTarball(): Promise<Packed> {
  packing ??= (async () => {
    const dir = tempDir('bun-apm-pack-');
    const { out } = await runOk(['npm', 'pack', '--json', '--pack-destination', dir], REPO, consumerEnv());
    const [info] = JSON.parse(out) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
    const path = join(dir, info!.filename);
    return { path, bytes: Bun.file(path).size, unpackedBytes: info!.unpackedSize, files: info!.files.map((file) => file.path) };
  })();
  return packing;
}

export interface AppSpec {
  /** package.json `name` (the app id the preload reports). */
  name: string;
  /** tsconfig.json's compilerOptions; undefined: no tsconfig.json at all. */
  tsconfig?: Record<string, unknown>;
  /** Other packages to add with bun-apm, e.g. pinned('hono'). */
  dependencies?: string[];
  /** Files of the app, by path relative to its directory. */
  files?: Record<string, string>;
}

/** A new app directory with the packed bun-apm installed by `bun add ./bun-apm-<version>.tgz`. */
export async function installApp(spec: AppSpec): Promise<string> {
  const packed = await packTarball();
  const dir = tempDir(`bun-apm-app-${spec.name}-`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: spec.name, private: true, type: 'module' }, null, 2)}\n`);
  if (spec.tsconfig) writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify({ compilerOptions: spec.tsconfig }, null, 2)}\n`);
  for (const [path, text] of Object.entries(spec.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  copyFileSync(packed.path, join(dir, TARBALL_NAME));
  await runOk([process.execPath, 'add', `./${TARBALL_NAME}`, ...(spec.dependencies ?? [])], dir);
  return dir;
}

/** A TCP connect, not an HTTP request, so that waiting for a server adds nothing it would count. */
export async function canConnect(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on right now (127.0.0.1). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** A long-running process of a consumer (an app, `edge dev`), with its output kept for messages. */
export class Background {
  out = '';
  readonly child: ReturnType<typeof Bun.spawn>;

  constructor(command: string[], cwd: string, env: Record<string, string>) {
    this.child = Bun.spawn(command, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
    void this.#collect(this.child.stdout as ReadableStream<Uint8Array>);
    void this.#collect(this.child.stderr as ReadableStream<Uint8Array>);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `port` accepts connections; fails with the output if the process ends first. */
  async waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`exited (${this.child.exitCode ?? this.child.signalCode}) before listening on ${port}:\n${this.out.slice(-3000)}`);
      if (await canConnect(port)) return;
      await Bun.sleep(50);
    }
    throw new Error(`not listening on ${port} after ${timeoutMs} ms:\n${this.out.slice(-3000)}`);
  }

  /** SIGTERM (the final flush runs), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.child.exited;
    clearTimeout(killer);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      this.out += decoder.decode(value, { stream: true });
    }
  }
}
