// Request bodies on web streams, for every host: read one within a cap, or drain what is left of one
// before answering early. Answering while a client is still sending makes a runtime reset the
// connection (the client then sees ECONNRESET, not our answer) or stall keep-alive; draining keeps
// it usable. A body declared over the cap is never drained: the answer goes out at once.

/** Why a body could not be read in full. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 408 | 413,
    readonly code: 'malformed_body' | 'body_timeout' | 'payload_too_large',
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** The declared Content-Length: a number, null when absent, NaN when not a length. */
export function declaredLength(request: Request): number | null {
  const header = request.headers.get('content-length');
  if (header === null) return null;
  return /^\s*\d{1,16}\s*$/.test(header) ? Number(header) : Number.NaN;
}

/**
 * Reads the body's bytes, at most `maxBytes`: a larger declared length is refused before reading
 * (413), a larger body as soon as it passes the cap, a broken one (bad chunk framing, a client that
 * went away) is a 400, and one that stalls past `timeoutMs` a 408.
 */
export async function readBodyCapped(request: Request, maxBytes: number, timeoutMs = 30_000): Promise<Uint8Array> {
  const declared = declaredLength(request);
  if (declared !== null && !(declared <= maxBytes)) {
    throw new BodyError(413, 'payload_too_large', `body: declared ${Number.isNaN(declared) ? 'an invalid length' : `${declared} bytes`}, over the cap of ${maxBytes} bytes`);
  }
  if (request.body === null) return new Uint8Array(0);
  return readStreamCapped(request.body, maxBytes, timeoutMs, () => new BodyError(413, 'payload_too_large', `body: over the cap of ${maxBytes} bytes`));
}

/**
 * How long the rest of a body past its cap is read and thrown away, so that the answer finds the
 * request read to its end: under `wrangler dev`, a chunked body cancelled part-read made the next
 * request, from any client, a 503 "worker restarted", and one left part-read made it hang until
 * another came (reviews; a body declared over the cap, never touched, does neither). Bounded in
 * time, not bytes: a byte bound (8 MiB) had left the rest of a 9 MiB body unread, and the runtime's
 * own body limit bounds the bytes (Cloudflare's 100 MB, Bun's maxRequestBodySize).
 */
const DISCARD_MS = 5_000;

/**
 * Reads a stream to its end, at most `cap` bytes kept: past them, or past `timeoutMs`, `over()` or
 * a 408 is thrown. Read errors are BodyErrors (400).
 */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, cap: number, timeoutMs: number, over: () => Error): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { done, value } = await readBefore(reader, deadline);
    if (done || value === undefined) break;
    total += value.byteLength;
    if (total > cap) {
      chunks.length = 0;
      await discardRest(reader, Math.min(deadline, Date.now() + DISCARD_MS));
      throw over();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

/** Reads and drops the rest of a body until `deadline`; one still sending then is cancelled (readBefore cancels one that breaks or stalls). */
async function discardRest(reader: StreamReader, deadline: number): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await readBefore(reader, deadline);
      if (done || value === undefined) return;
    }
  } catch {
    // Broken or stalled: the answer says what was wrong with its size.
  }
}

/** The chunks as one array of `total` bytes. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export type DrainOutcome = 'none' | 'drained' | 'over_cap' | 'broken';

/**
 * Reads and discards what is left of the body, up to `maxBytes` (and what readStreamCapped drops
 * past a cap) and `timeoutMs`. Skipped when the declared length is over the cap or invalid: then the
 * runtime must close the connection anyway. Such a body is left alone, not cancelled: under
 * `wrangler dev` a cancelled body made the next request, from any client, a 503 "worker restarted".
 */
export async function drainBody(request: Request, maxBytes: number, timeoutMs = 5_000): Promise<DrainOutcome> {
  if (request.body === null || request.bodyUsed) return 'none';
  const declared = declaredLength(request);
  if (declared !== null && !(declared <= maxBytes)) return 'over_cap';
  try {
    await readStreamCapped(request.body, maxBytes, timeoutMs, () => new BodyError(413, 'payload_too_large', 'over the cap'));
    return 'drained';
  } catch (error) {
    return error instanceof BodyError && error.status === 413 ? 'over_cap' : 'broken';
  }
}

// The reader as a shape rather than the DOM lib's ReadableStreamDefaultReader: Bun's, the DOM's and
// Workers' readers all fit it, so the file type-checks in an app compiling with any of them.
interface StreamReader {
  read(): Promise<ReadResult>;
  cancel(reason?: unknown): Promise<void>;
}
interface ReadResult {
  done: boolean;
  value?: Uint8Array;
}

async function readBefore(reader: StreamReader, deadline: number): Promise<ReadResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyError(408, 'body_timeout', 'body: the client stopped sending before the end')), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof BodyError) throw error;
    // The runtime's message may describe its internals; the client only needs to know its framing broke.
    throw new BodyError(400, 'malformed_body', 'body: could not be read (malformed framing, or the client went away)');
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
