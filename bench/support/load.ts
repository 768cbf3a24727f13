// What bench/overhead.ts, bench/ab.ts and bench/tail.ts share to start an app and load it: a free
// port, waiting until the app listens, a variant started, wrk (closed loop, saturating) and
// bench/load-client.ts in a process of its own (open or closed loop), each pinned to the load core.
import { join } from 'node:path';
import { appIdOf } from '../../src/core/app-id.ts';
import type { App, Variant } from '../variants.ts';

export function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Resolves once something accepts connections on `port`; throws after 10 s with `what` (and `detail()`). */
export async function waitUntilListening(port: number, what: string, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      socket.end();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not start${detail() ? `: ${detail()}` : ''}`);
      await Bun.sleep(20);
    }
  }
}

/**
 * Starts `app` under `variant` on `cpu`, from `cwd` (the app the package was installed into),
 * shipping to `endpoint` as app `tag`; resolves once it listens (killed if it never does).
 */
export async function startVariant(app: App, variant: Variant, options: { cwd: string; cpu: string; endpoint: string; tag: string }): Promise<{ child: Bun.Subprocess; url: string }> {
  const port = freePort();
  const preload = variant.preload ? ['--preload', variant.preload] : [];
  const child = Bun.spawn(['taskset', '-c', options.cpu, process.execPath, ...preload, app.file], {
    cwd: options.cwd,
    // As an app id: the preload refuses `ab-full detail`, and would run unmonitored.
    env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: options.endpoint, BUN_APM_INGEST_KEY: 'bench', BUN_APM_APP: appIdOf(options.tag), ...variant.env },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  try {
    await waitUntilListening(port, `${app.file} (${variant.name})`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, url: `http://127.0.0.1:${port}${app.path}` };
}

export interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n;
}

/** Runs wrk without blocking this process, whose event loop serves the sink meanwhile. */
export async function wrk(url: string, seconds: number, headers: Record<string, string>, options: { cpu: string; connections: number }): Promise<WrkResult> {
  const headerArgs = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const child = Bun.spawn(['taskset', '-c', options.cpu, 'wrk', '-t1', `-c${options.connections}`, `-d${seconds}s`, '--latency', ...headerArgs, url], { stdout: 'pipe', stderr: 'ignore' });
  const out = await new Response(child.stdout).text();
  await child.exited;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  if (!Number.isFinite(requests)) throw new Error(`could not read wrk's output:\n${out}`);
  return { requests, rps, p50, p99 };
}

/** An open loop at `rate` requests a second for `seconds` on `cpu` (OPEN_CONNECTIONS), latency from when each request was due. */
export function runOpenLoop(cpu: string, url: string, rate: number, seconds: number, headers: Record<string, string>): Promise<LoadClientResult> {
  return runLoadClient(cpu, `openLoop(${JSON.stringify(url)}, ${rate}, ${seconds}, undefined, ${JSON.stringify(headers)})`);
}

export interface LoadClientResult {
  p50: number;
  p99: number;
  p999: number;
  achieved: number;
  /** Requests answered. */
  completed: number;
  errors: number;
}

/**
 * Runs one call of bench/load-client.ts (`openLoop(…)` or `closedLoop(…)`, as source text) in a
 * process of its own on `cpu`, so its event loop is not this one's; latencies in ms.
 */
export async function runLoadClient(cpu: string, call: string): Promise<LoadClientResult> {
  const script = `
    import { closedLoop, openLoop, quantile } from ${JSON.stringify(join(import.meta.dir, '..', 'load-client.ts'))};
    const r = await ${call};
    console.log(JSON.stringify({ p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), p999: quantile(r.latencies, 0.999), achieved: r.completed / r.elapsedMs * 1000, completed: r.completed, errors: r.errors }));
    process.exit(0);`;
  const child = Bun.spawn(['taskset', '-c', cpu, process.execPath, '-e', script], { stdout: 'pipe', stderr: 'inherit' });
  const out = await new Response(child.stdout).text();
  await child.exited;
  return JSON.parse(out.trim().split('\n').pop()!) as LoadClientResult;
}
