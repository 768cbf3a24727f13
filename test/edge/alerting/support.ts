// Helpers for the alerting tests: local HTTP receivers standing in for Slack and webhooks, slow and
// fast traffic for one route, the cron fired at a set time, and Miniflare's email log captured.
import { Log, LogLevel } from 'miniflare';
import { RollupTable } from '../../../src/core/rollup.ts';
import type { Batch } from '../../../src/core/wire-format.ts';
import type { LocalEdge } from '../../../scripts/local-edge.ts';

export const MINUTE = 60_000;

export interface Received {
  path: string;
  headers: Headers;
  body: string;
}

/** One Bun.serve on 127.0.0.1 recording every request; `answers[path]` lists statuses to give first (then 200). */
export function startReceiver(answers: Record<string, number[]> = {}) {
  const received: Received[] = [];
  const queues = Object.fromEntries(Object.entries(answers).map(([path, list]) => [path, [...list]]));
  let port = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request): Promise<Response> {
      const path = new URL(request.url).pathname;
      received.push({ path, headers: request.headers, body: await request.text() });
      const status = queues[path]?.shift() ?? 200;
      // A redirect points at /followed on this server: a test sees whether anything went there.
      const headers: Record<string, string> = status >= 300 && status < 400 ? { location: `http://127.0.0.1:${port}/followed` } : {};
      return new Response(status === 200 ? 'ok' : 'no', { status, headers });
    },
  });
  port = server.port!;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    at: (path: string) => received.filter((r) => r.path === path),
    received,
    stop: () => server.stop(true),
  };
}

let batchCounter = 0;

/** `count` requests of GET /slow, each `duration` ms, within the minute starting at `minute`. */
export function batchOf(app: string, minute: number, duration: number, count = 20): Batch {
  const table = new RollupTable();
  for (let i = 0; i < count; i++) table.record(minute + 1000 + i * 100, 'GET', '/slow', 200, duration, 100, false);
  return {
    version: 1,
    batchId: `alerting-${app}-${minute}-${duration}-${++batchCounter}`,
    identity: { app, service: 'api', instance: 'host-a:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + MINUTE },
    rollups: table.drain(),
    samples: [],
    spans: [],
    profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  } as Batch;
}

export async function ingestMinute(edge: LocalEdge, key: string, app: string, minute: number, duration: number): Promise<void> {
  const response = await fetch(new URL('/v1/ingest', edge.url), {
    method: 'POST',
    // A fresh connection: Bun does not retry a POST on a kept-alive socket workerd has closed.
    keepalive: false,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(batchOf(app, minute, duration)),
  });
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
}

/** Fires the runtime's own scheduled event with this scheduled time; resolves once every tick (and its deliveries) finished. */
export async function cron(edge: LocalEdge, time: number): Promise<void> {
  const worker = await edge.mf.getWorker();
  const result = await worker.scheduled({ cron: '* * * * *', scheduledTime: new Date(time) });
  if (result.outcome !== 'ok') throw new Error(`scheduled() ended ${result.outcome}`);
}

/**
 * A minute cron's tick before a test's data. While ticks come, they drive evaluation and a store's
 * own alarm leaves it to them; without one, the alarm may evaluate the real current minute first
 * (should one begin during the test), and a tick for an older minute then evaluates nothing.
 */
export function cronFirst(edge: LocalEdge, time: number): Promise<void> {
  return cron(edge, time);
}

/** Miniflare's log, kept: the send_email binding writes each message to a file and logs its path. */
export class CaptureLog extends Log {
  readonly lines: string[] = [];

  constructor() {
    super(LogLevel.INFO);
  }

  override logWithLevel(level: LogLevel, message: string): void {
    this.lines.push(message);
    if (level <= LogLevel.WARN) super.logWithLevel(level, message);
  }

  emailFiles(): string[] {
    return this.lines.filter((line) => line.includes('send_email')).flatMap((line) => line.match(/\S+\.eml/g) ?? []);
  }
}
