// What a span may say about a request's content: headers and query parameters with secrets redacted
// (redaction.ts), and text bodies up to a cap, read from a clone so the handler still gets the whole body.
import { LIMITS, type TagValue } from '../../core/wire-format.ts';
import { unref } from '../../plugin/runtime/unref.ts';
import { shownValue } from '../../core/redaction/redaction.ts';
import { putTag } from './tag-value.ts';

export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization']);
const MAX_ITEMS = 50;

export function headerTags(headers: Headers, prefix: string, tags: Record<string, TagValue>): void {
  let n = 0;
  for (const [name, value] of headers) {
    if (n++ >= MAX_ITEMS) break;
    // Within the span's limits (tag count, key length), or the edge refuses the span and its batch.
    putTag(tags, `${prefix}.${name}`.slice(0, LIMITS.tagKeyLength), shownValue(name, value));
  }
}

export function queryTags(url: string, tags: Record<string, TagValue>): void {
  const query = url.indexOf('?');
  if (query < 0) return;
  const hash = url.indexOf('#', query);
  const params = new URLSearchParams(url.slice(query + 1, hash < 0 ? undefined : hash));
  let n = 0;
  for (const [name, value] of params) {
    if (n++ >= MAX_ITEMS) break;
    putTag(tags, `http.query.${name.slice(0, 100)}`, shownValue(name, value));
  }
}

const TEXT_TYPE = /^(text\/|application\/(json|x-www-form-urlencoded|xml|graphql|javascript|[\w.+-]+\+(json|xml)))/i;

export function isTextType(contentType: string | null): boolean {
  return contentType !== null && TEXT_TYPE.test(contentType.trim());
}

/**
 * The first `maxBytes` of a text body (undefined for other types, no body, or a read that fails or
 * outlasts `timeoutMs`); reading stops at the cap, so a huge or endless stream costs no more than that.
 */
export async function captureBody(message: Request | Response, maxBytes: number, timeoutMs = 1000): Promise<string | undefined> {
  if (!isTextType(message.headers.get('content-type')) || message.body === null || message.bodyUsed) return undefined;
  const reader = message.clone().body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = unref(setTimeout(() => resolve('timeout'), timeoutMs));
  });
  try {
    while (size < maxBytes) {
      const read = await Promise.race([reader.read(), timeout]);
      if (read === 'timeout' || read.done) break;
      chunks.push(read.value);
      size += read.value.byteLength;
    }
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, maxBytes));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
    if (at >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}
