// Reads an ingest body within its caps: the declared length is checked before reading, the bytes
// while reading, and a gzip body while inflating, so neither a large upload nor a gzip bomb costs
// more than the cap.
import { HttpError } from '../http/errors.ts';

export interface BodyLimits {
  /** Bytes as sent. */
  maxBodyBytes: number;
  /** Bytes once decompressed (and for an uncompressed body, as sent). */
  maxDecompressedBytes: number;
}

const MIB = 1024 * 1024;
const size = (bytes: number) => (bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`);

function tooLarge(message: string): HttpError {
  return new HttpError(413, 'payload_too_large', message);
}

/** The decompressed bytes of the body; throws an HttpError (413, 415 or 400) naming the problem. */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_encoding', `Content-Encoding ${JSON.stringify(encoding.slice(0, 32))} is not supported: send gzip or no encoding`);
  }
  const gzip = encoding === 'gzip';
  const wireCap = gzip ? limits.maxBodyBytes : limits.maxDecompressedBytes;
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > wireCap) {
    throw tooLarge(`body of ${declared} bytes is over the cap of ${size(wireCap)}${gzip ? ' (compressed)' : ''}`);
  }
  if (request.body === null) throw new HttpError(400, 'empty_body', 'expected a JSON batch in the body');
  const wire = await readCapped(request.body, wireCap, () => tooLarge(`body is over the cap of ${size(wireCap)}${gzip ? ' (compressed)' : ''}`));
  if (wire.length === 0) throw new HttpError(400, 'empty_body', 'expected a JSON batch in the body');
  if (!gzip) return wire;
  const inflated = new Blob([wire]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return await readCapped(inflated, limits.maxDecompressedBytes, () =>
      tooLarge(`body inflates past the cap of ${size(limits.maxDecompressedBytes)} once decompressed`));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'invalid_gzip', `Content-Encoding is gzip but the body is not valid gzip (${(error as Error).message})`);
  }
}

/** Reads a stream to its end, cancelling it as soon as it passes `cap` bytes. */
async function readCapped(stream: ReadableStream<Uint8Array>, cap: number, over: () => HttpError): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw over();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
