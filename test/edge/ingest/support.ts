// Hostile bodies for the ingest tests: gzip bombs made without holding what they inflate to.
import { createGzip } from 'node:zlib';

/** The gzip of `total` copies of `byte`, compressed 1 MiB at a time (a 1 GiB bomb is ~1 MB and ~2 s). */
export async function gzipOfRepeated(byte: number, total: number): Promise<Uint8Array<ArrayBuffer>> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const block = Buffer.alloc(1024 * 1024, byte);
  for (let left = total; left > 0; left -= block.length) {
    if (!gzip.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end();
  await ended;
  return new Uint8Array(Buffer.concat(chunks));
}

/** The JSON of `batch` with the string value `"MARK"` replaced by an array of `count` ones, built as text (no array of that size is made). */
export function withNumbers(batch: unknown, count: number): string {
  const text = JSON.stringify(batch);
  if (text.split('"MARK"').length !== 2) throw new Error('expected one "MARK" in the batch');
  return text.replace('"MARK"', `[${'1,'.repeat(count - 1)}1]`);
}
