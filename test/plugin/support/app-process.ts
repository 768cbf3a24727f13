// Starts an example app in a real `bun --preload bun-apm/preload` child process, waits until it
// serves, and keeps its output for assertions. Tests stop every app they start in afterAll.
import { join } from 'node:path';
import { waitFor } from './wait-for.ts';

export const REPO = join(import.meta.dir, '..', '..', '..');

export interface AppOptions {
  env?: Record<string, string>;
  /** Without `--preload bun-apm/preload`: the plain app, for comparisons. */
  plain?: boolean;
  /** Preloads to run before bun-apm's (test fixtures, e.g. a fast clock). */
  preloads?: string[];
}

/** A port nothing listens on right now (127.0.0.1). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export class AppProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly process: ReturnType<typeof Bun.spawn>,
    readonly port: number,
  ) {
    this.exited = process.exited.then(() => process.exitCode);
    void this.#collect(process.stdout as ReadableStream<Uint8Array>, (text) => (this.stdout += text));
    void this.#collect(process.stderr as ReadableStream<Uint8Array>, (text) => (this.stderr += text));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(`${this.url}${path}`, init);
  }

  /** SIGKILL if still running; safe to call twice. */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.process.exited;
  }

  async #collect(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      append(decoder.decode(value, { stream: true }));
    }
  }
}

/** Whether every port takes a TCP connection within `timeoutMs`: a connect, not a request, so nothing is counted or traced. */
export async function listening(ports: readonly number[], timeoutMs = 15_000): Promise<boolean> {
  const all = await waitFor(async () => {
    for (const port of ports) if (!(await canConnect(port))) return undefined;
    return true;
  }, timeoutMs);
  return all === true;
}

/** A TCP connect, not an HTTP request: the probe must not be counted as one of the app's requests. */
async function canConnect(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Environment for a child: this one's, minus any BUN_APM_* of the developer's shell. */
function childEnv(extra: Record<string, string>, port: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) env[key] = value;
  return { ...env, NO_COLOR: '1', HOST: '127.0.0.1', PORT: String(port), ...extra };
}

/**
 * @example
 * const app = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: sink.url } });
 */
export async function startApp(example: string, options: AppOptions = {}): Promise<AppProcess> {
  const port = freePort();
  const conditions = example.startsWith('bun-router') ? ['--conditions=browser'] : [];
  const preload = [...(options.preloads ?? []).flatMap((path) => ['--preload', path]), ...(options.plain ? [] : ['--preload', 'bun-apm/preload'])];
  const child = Bun.spawn([process.execPath, ...conditions, ...preload, join('examples', example)], {
    cwd: REPO,
    env: childEnv(options.env ?? {}, port),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, port);
  const ready = await waitFor(async () => {
    if (child.exitCode !== null) return 'exited';
    return (await canConnect(port)) ? 'ready' : undefined;
  }, 15_000);
  if (ready !== 'ready') {
    await app.kill();
    throw new Error(`${example} did not start (${ready ?? 'timeout'}):\n${app.stderr}`);
  }
  return app;
}

/** Signals the app and waits for it to end: its exit code, or the signal it died of, and how long it took. */
export async function signalAndWait(app: AppProcess, signal: NodeJS.Signals): Promise<{ code: number | string | null; ms: number }> {
  const from = performance.now();
  app.process.kill(signal);
  const code = (await app.exited) ?? app.process.signalCode;
  return { code, ms: performance.now() - from };
}
