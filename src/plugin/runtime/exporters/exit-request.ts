// The request an HTTP exporter's batch makes at exit: its URL, its headers as postBatch sends them,
// its body as bytes (the final send's child POSTs it; see runtime/final-send.ts).
import type { ExitRequest } from './span-exporter.ts';

export function exitRequest(url: string, headers: Record<string, string> | undefined, contentType: string, body: string | Uint8Array): Omit<ExitRequest, 'exporter' | 'spans'> {
  const all = new Headers(headers);
  all.set('content-type', contentType);
  return { url, headers: Object.fromEntries(all.entries()), body: typeof body === 'string' ? new TextEncoder().encode(body) : body };
}
