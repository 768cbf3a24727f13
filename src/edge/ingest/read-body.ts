// Reads an ingest body within its caps: the declared length is checked before reading, the bytes
// while reading, and a gzip body while inflating, so neither a large upload nor a gzip bomb costs
// more than the cap. The Worker only reads the bytes as sent (readWire); the app's store inflates
// them (inflateBody), so that the Worker's CPU per batch stays small whatever the batch holds.
import { BodyError, declaredLength, readStreamCapped } from '../../core/http/request-body.ts';
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

/** The body's bytes decompressed, within maxDecompressedBytes; throws an HttpError (413 or 400). */
export async function inflateBody(body: WireBody, limits: Pick<BodyLimits, 'maxDecompressedBytes'>): Promise<Uint8Array> {
  if (!body.gzip) return body.bytes;
  const inflated = new Blob([body.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return await readOrRefuse(inflated, limits.maxDecompressedBytes, () =>
      tooLarge(`body inflates past the cap of ${size(limits.maxDecompressedBytes)} once decompressed`));
  } catch (error) {
    if (error instanceof HttpError && error.code !== 'malformed_body') throw error;
    throw new HttpError(400, 'invalid_gzip', 'Content-Encoding is gzip but the body is not valid gzip');
  }
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
