// A small HTTP/1.1 load generator over raw keep-alive sockets, for what wrk does not do:
// an exact number of requests (closed loop), and a constant request rate (open loop, as wrk2
// does) where each latency is measured from when the request was due, not from when a free
// connection sent it, so a stalled server shows in the tail instead of slowing the load down.
//   bun bench/load-client.ts open http://127.0.0.1:3000/ 20000 10   (rate/s, seconds)
//   bun bench/load-client.ts closed http://127.0.0.1:3000/ 50000 8  (requests, connections)

export interface LoadResult {
  /** ms, one per completed request, in completion order. */
  latencies: Float64Array;
  completed: number;
  errors: number;
  elapsedMs: number;
}

interface Connection {
  socket: { write(data: string): number; end(): void } | undefined;
  busy: boolean;
  /** When the request in flight was due (open loop) or sent (closed loop). */
  since: number;
  /** Bytes of a response not complete yet. */
  pending: Buffer | undefined;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const LENGTH_NAMES = [Buffer.from('\r\ncontent-length:'), Buffer.from('\r\nContent-Length:')];
const CHUNKED = [Buffer.from('\r\ntransfer-encoding: chunked'), Buffer.from('\r\nTransfer-Encoding: chunked')];
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');

/** How many bytes the first complete response in `buffer` (from `from`) takes, or -1 if it is not complete yet. */
export function responseLength(buffer: Buffer, from = 0): number {
  const headerEnd = buffer.indexOf(HEADER_END, from);
  if (headerEnd < 0) return -1;
  for (const name of LENGTH_NAMES) {
    const at = buffer.indexOf(name, from);
    if (at < 0 || at > headerEnd) continue;
    let i = at + name.length;
    while (buffer[i] === 32) i++;
    let length = 0;
    for (let c = buffer[i]!; c >= 48 && c <= 57; c = buffer[++i]!) length = length * 10 + (c - 48);
    const total = headerEnd + 4 + length - from;
    return buffer.length - from >= total ? total : -1;
  }
  for (const name of CHUNKED) {
    const at = buffer.indexOf(name, from);
    if (at < 0 || at > headerEnd) continue;
    const end = buffer.indexOf(LAST_CHUNK, headerEnd);
    return end < 0 ? -1 : end + LAST_CHUNK.length - from;
  }
  return headerEnd + 4 - from; // no body (204, 304)
}

function requestText(url: URL, headers: Record<string, string>): string {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${extra}\r\n`;
}

async function connectAll(url: URL, count: number, onResponse: (conn: Connection) => void, onError: (conn: Connection) => void): Promise<Connection[]> {
  const connections: Connection[] = [];
  for (let i = 0; i < count; i++) {
    const conn: Connection = { socket: undefined, busy: false, since: 0, pending: undefined };
    conn.socket = await Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      socket: {
        data(_socket, chunk) {
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          const buffer = conn.pending === undefined ? bytes : Buffer.concat([conn.pending, bytes]);
          let at = 0;
          for (;;) {
            const length = responseLength(buffer, at);
            if (length < 0) break;
            at += length;
            onResponse(conn);
          }
          conn.pending = at < buffer.length ? Buffer.from(buffer.subarray(at)) : undefined;
        },
        close() {
          if (conn.busy) onError(conn);
          conn.socket = undefined;
        },
        error() {
          if (conn.busy) onError(conn);
        },
      },
    });
    connections.push(conn);
  }
  return connections;
}

/**
 * Exactly `total` requests over `connections` connections, each with one request in flight. Gives
 * up after `timeoutMs` (a server that died or stopped answering must not hold a benchmark forever).
 */
export async function closedLoop(target: string, total: number, connections = 8, headers: Record<string, string> = {}, timeoutMs = 600_000): Promise<LoadResult> {
  const url = new URL(target);
  const text = requestText(url, headers);
  // `{n}` in the path (as the URL writes it): each request its own number there, a new id every
  // time, as an app serving ids sees them.
  const parts = text.split('%7Bn%7D');
  const latencies = new Float64Array(total);
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const next = (conn: Connection) => {
    if (sent >= total || conn.socket === undefined) {
      conn.busy = false;
      return;
    }
    sent++;
    conn.busy = true;
    conn.since = performance.now();
    conn.socket.write(parts.length === 1 ? text : parts.join(String(sent)));
  };
  const settle = (conn: Connection, ok: boolean) => {
    if (ok) latencies[completed++] = performance.now() - conn.since;
    else errors++;
    conn.busy = false;
    if (completed + errors >= total) finish();
    else next(conn);
  };
  const pool = await connectAll(url, connections, (c) => settle(c, true), (c) => settle(c, false));
  const started = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    finish();
  }, timeoutMs);
  for (const conn of pool) next(conn);
  await done;
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  for (const conn of pool) conn.socket?.end();
  if (timedOut) throw new Error(`closedLoop: ${completed} of ${total} requests answered in ${timeoutMs} ms (${errors} failed): is ${url.host} still up?`);
  return { latencies: latencies.subarray(0, completed), completed, errors, elapsedMs };
}

/** Connections of an open loop: enough that a stalled response does not hold the rate back. */
export const OPEN_CONNECTIONS = 64;

/**
 * `rate` requests per second for `seconds`, each due at its slot of a constant schedule; a
 * request due while every connection is busy waits for one, and its wait counts in its latency.
 */
export async function openLoop(target: string, rate: number, seconds: number, connections = OPEN_CONNECTIONS, headers: Record<string, string> = {}): Promise<LoadResult> {
  const url = new URL(target);
  const text = requestText(url, headers);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  let completed = 0;
  let errors = 0;
  let issued = 0;
  const idle: Connection[] = [];
  const waiting: number[] = []; // due times of requests with no free connection yet
  let waitingHead = 0;
  const send = (conn: Connection, due: number) => {
    conn.busy = true;
    conn.since = due;
    conn.socket!.write(text);
  };
  const free = (conn: Connection) => {
    conn.busy = false;
    if (conn.socket === undefined) return;
    if (waitingHead < waiting.length) send(conn, waiting[waitingHead++]!);
    else idle.push(conn);
  };
  const pool = await connectAll(
    url,
    connections,
    (conn) => {
      latencies[completed++] = performance.now() - conn.since;
      free(conn);
    },
    (conn) => {
      errors++;
      free(conn);
    },
  );
  idle.push(...pool);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (issued < total && started + issued * interval <= now) {
        const due = started + issued * interval;
        issued++;
        const conn = idle.pop();
        if (conn !== undefined) send(conn, due);
        else waiting.push(due);
      }
      if (completed + errors >= total || now - started > seconds * 1000 + 10_000) resolve();
      else setImmediate(tick); // spins on the load generator's own core, letting socket events in between
    };
    tick();
  });
  const elapsedMs = performance.now() - started;
  for (const conn of pool) conn.socket?.end();
  return { latencies: latencies.subarray(0, completed), completed, errors, elapsedMs };
}

/** The q-quantile (0..1) of latencies, ms. */
export function quantile(latencies: Float64Array, q: number): number {
  if (latencies.length === 0) return NaN;
  const sorted = Float64Array.from(latencies).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

if (import.meta.main) {
  const [mode, target, a, b] = process.argv.slice(2);
  if ((mode !== 'open' && mode !== 'closed') || !target) {
    console.error('usage: bun bench/load-client.ts open URL RATE SECONDS | closed URL REQUESTS CONNECTIONS');
    process.exit(2);
  }
  const result = mode === 'open' ? await openLoop(target, Number(a ?? 1000), Number(b ?? 5)) : await closedLoop(target, Number(a ?? 10_000), Number(b ?? 8));
  const ms = (q: number) => quantile(result.latencies, q).toFixed(3);
  console.log(
    `${result.completed} completed, ${result.errors} errors in ${(result.elapsedMs / 1000).toFixed(2)} s (${((result.completed / result.elapsedMs) * 1000).toFixed(0)}/s); ` +
      `p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, p99.9 ${ms(0.999)} ms`,
  );
  process.exit(0);
}
