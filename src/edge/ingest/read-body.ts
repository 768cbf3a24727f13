// Reads an ingest body within its caps: the declared length is checked before reading, the bytes
// while reading, and a gzip body while inflating, so neither a large upload nor a gzip bomb costs
// more than the cap. The Worker only reads the bytes as sent (readWire); the app's store inflates
// them (inflateBody), so that the Worker's CPU per batch stays small whatever the batch holds.
import { BodyError, concatBytes, declaredLength, readStreamCapped } from '../../core/http/request-body.ts';
import { bodyProblem, HttpError } from '../http/errors.ts';

export interface BodyLimits {
  /** Bytes as sent. */
  maxBodyBytes: number;
  /** Bytes once decompressed (and for an uncompressed body, as sent). */
  maxDecompressedBytes: number;
}

/** A body as sent, and whether it is gzip. */
export interface WireBody {
  bytes: Uint8Array;
  gzip: boolean;
}

const MIB = 1024 * 1024;
/** A client that stops sending mid-body is answered after this long, not held forever. */
const READ_TIMEOUT_MS = 30_000;
const size = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);

function tooLarge(message: string): HttpError {
  return new HttpError(413, 'payload_too_large', message);
}

/** The body's bytes as sent, within the cap of their encoding; throws an HttpError (413, 415 or 400). */
export async function readWire(request: Request, limits: BodyLimits): Promise<WireBody> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_encoding', `Content-Encoding ${JSON.stringify(encoding.slice(0, 32))} is not supported: send gzip or no encoding`);
  }
  const gzip = encoding === 'gzip';
  const wireCap = gzip ? limits.maxBodyBytes : limits.maxDecompressedBytes;
  // Refused before a byte is read: the answer goes out at once, whatever the client claims it will send.
  const declared = declaredLength(request);
  if (declared !== null && Number.isNaN(declared)) throw new HttpError(400, 'invalid_content_length', 'Content-Length: expected a non-negative integer');
  if (declared !== null && declared > wireCap) {
    throw tooLarge(`body of ${declared} bytes is over the cap of ${size(wireCap)}${gzip ? ' (compressed)' : ''}`);
  }
  if (request.body === null) throw new HttpError(400, 'empty_body', 'expected a JSON batch in the body');
  const bytes = await readOrRefuse(request.body, wireCap, () => tooLarge(`body is over the cap of ${size(wireCap)}${gzip ? ' (compressed)' : ''}`));
  if (bytes.length === 0) throw new HttpError(400, 'empty_body', 'expected a JSON batch in the body');
  return { bytes, gzip };
}

/**
 * Compressed bytes fed to the inflater at a time. workerd inflates each chunk written to a
 * DecompressionStream in full, at once, into a buffer with no backpressure; deflate expands at most
 * ~1032:1, so a slice makes at most ~4 MiB and the output is counted against the cap after every
 * slice (a 1 MiB gzip of 1 GiB of spaces, written whole, took the store to 1.3 GB and 9 s before its 413).
 */
const INFLATE_SLICE_BYTES = 4 * 1024;
/** Room for all a slice can inflate to (deflate's ratio is at most 1032:1), so one read takes it all. */
const INFLATE_READ_BYTES = INFLATE_SLICE_BYTES * 1040 + 64 * 1024;

/** The body's bytes decompressed, within maxDecompressedBytes; throws an HttpError (413 or 400). */
export async function inflateBody(body: WireBody, limits: Pick<BodyLimits, 'maxDecompressedBytes'>): Promise<Uint8Array> {
  if (!body.gzip) return body.bytes;
  const cap = limits.maxDecompressedBytes;
  const inflater = new DecompressionStream('gzip');
  const writer = inflater.writable.getWriter();
  const reader = inflater.readable.getReader({ mode: 'byob' });
  const chunks: Uint8Array[] = [];
  let total = 0;
  let room = new ArrayBuffer(INFLATE_READ_BYTES);
  // One read is always waiting: workerd fills it while it inflates the next slice, so when that
  // write is done the read holds all the slice made and nothing is left buffered behind it.
  let read: ReadableStreamReadResult<Uint8Array> | { error: unknown } | undefined;
  let settled = Promise.resolve();
  const waitForOutput = () => {
    read = undefined;
    settled = reader.read(new Uint8Array(room)).then((result) => void (read = result), (error: unknown) => void (read = { error }));
  };
  /** Takes what the waiting read got, if it got anything yet; true at the end of the output. */
  const take = (): boolean => {
    if (read === undefined) return false;
    if ('error' in read) throw read.error;
    if (read.done) return true;
    const { value } = read;
    total += value.byteLength;
    if (total > cap) throw tooLarge(`body inflates past the cap of ${size(cap)} once decompressed`);
    chunks.push(value.slice());
    room = value.buffer as ArrayBuffer;
    waitForOutput();
    return false;
  };
  try {
    waitForOutput();
    for (let at = 0; at < body.bytes.length; at += INFLATE_SLICE_BYTES) {
      await writer.write(body.bytes.subarray(at, at + INFLATE_SLICE_BYTES) as Uint8Array<ArrayBuffer>);
      take();
    }
    await writer.close();
    // Past the end of the input every read settles: with what is left, or done.
    do await settled;
    while (!take());
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    await writer.abort().catch(() => undefined);
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'invalid_gzip', 'Content-Encoding is gzip but the body is not valid gzip');
  }
  return concatBytes(chunks, total);
}

/** The stream's bytes within `cap`; a stream that breaks or stalls is the client's error (400/408). */
async function readOrRefuse(stream: ReadableStream<Uint8Array>, cap: number, over: () => HttpError): Promise<Uint8Array> {
  try {
    return await readStreamCapped(stream, cap, READ_TIMEOUT_MS, over);
  } catch (error) {
    if (error instanceof BodyError) throw bodyProblem(error);
    throw error;
  }
}
