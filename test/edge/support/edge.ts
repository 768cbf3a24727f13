// Helpers for edge tests: start the Worker in workerd with known keys, ingest, read the API and the export.
import { startLocalEdge, type LocalEdge, type LocalEdgeOptions } from '../../../scripts/local-edge.ts';

export const KEYS = {
  shopIngest: 'ingest-shop-0123456789abcdef',
  blogIngest: 'ingest-blog-0123456789abcdef',
  shopRead: 'read-shop-0123456789abcdef',
  blogRead: 'read-blog-0123456789abcdef',
  allRead: 'read-all-0123456789abcdef',
  admin: 'admin-0123456789abcdef',
};

export const BINDINGS = {
  INGEST_KEYS: `shop:${KEYS.shopIngest},blog:${KEYS.blogIngest}`,
  API_KEYS: `shop:${KEYS.shopRead},blog:${KEYS.blogRead},*:${KEYS.allRead}`,
  ADMIN_API_KEY: KEYS.admin,
};

export function startEdge(options: LocalEdgeOptions = {}): Promise<LocalEdge> {
  return startLocalEdge({ ...options, bindings: { ...BINDINGS, ...options.bindings } });
}

export interface IngestOptions {
  key?: string | null;
  gzip?: boolean;
  headers?: Record<string, string>;
}

/** POSTs a batch (an object is JSON-encoded; bytes and strings go as they are). */
export async function ingest(edge: LocalEdge, body: unknown, options: IngestOptions = {}): Promise<Response> {
  let bytes: Uint8Array<ArrayBuffer> | string = body instanceof Uint8Array || typeof body === 'string' ? (body as Uint8Array<ArrayBuffer> | string) : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.gzip) {
    bytes = Bun.gzipSync(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes) as Uint8Array<ArrayBuffer>;
    headers['content-encoding'] = 'gzip';
  }
  const key = options.key === undefined ? KEYS.shopIngest : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  // A fresh connection per request: after a refused body the runtime may close a pooled one, and a
  // reused stale socket would show as ECONNRESET instead of the answer under test.
  return fetch(new URL('/v1/ingest', edge.url), { method: 'POST', headers: { ...headers, ...options.headers }, body: bytes, keepalive: false });
}

/** Ingests and fails loudly unless the edge accepted the batch. */
export async function ingestOk(edge: LocalEdge, body: unknown, options: IngestOptions = {}): Promise<any> {
  const response = await ingest(edge, body, options);
  const text = await response.text();
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

export async function api(edge: LocalEdge, path: string, key = KEYS.shopRead): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, edge.url), { headers: { 'x-api-key': key } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: response.status, body };
}

/** GETs a JSON endpoint that must answer 200. */
export async function apiOk(edge: LocalEdge, path: string, key = KEYS.shopRead): Promise<any> {
  const { status, body } = await api(edge, path, key);
  if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Every line of the export of everything stored (time 0 to a day ahead), parsed. */
export async function exportAll(edge: LocalEdge, app = 'shop', key = KEYS.allRead): Promise<any[]> {
  const to = Date.now() + 86_400_000;
  const response = await fetch(new URL(`/api/v1/apps/${app}/export.ndjson?from=0&to=${to}`, edge.url), { headers: { 'x-api-key': key } });
  if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
  const lines = (await response.text()).split('\n').filter((line) => line !== '');
  return lines.map((line) => JSON.parse(line));
}

/** The export's records without its header and footer (whose times depend on the call). */
export async function storedRecords(edge: LocalEdge, app = 'shop'): Promise<any[]> {
  return (await exportAll(edge, app)).filter((line) => line.type !== 'export' && line.type !== 'end');
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
