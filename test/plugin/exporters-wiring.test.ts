// bun-apm.config.ts options that the environment can't express, end to end: a trace exporter next
// to the edge (here Zipkin, received by a real local HTTP server) and custom storage.
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, type AppProcess } from './support/app-process.ts';
import { writeConfig } from './support/config-file.ts';
import { IngestSink } from './support/ingest-sink.ts';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';

const started: AppProcess[] = [];
const sink = new IngestSink().start();
const zipkinSpans: Array<{ traceId: string; name: string; kind?: string }> = [];
const zipkin = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    if (new URL(request.url).pathname !== '/api/v2/spans') return new Response('not found', { status: 404 });
    zipkinSpans.push(...((await request.json()) as typeof zipkinSpans));
    return new Response(null, { status: 202 });
  },
});
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await sink.stop();
  await zipkin.stop(true);
});

describe('exporters and custom storage from bun-apm.config.ts', () => {
  test('spans reach Zipkin and the edge; custom storage sees every cut', async () => {
    let store = '';
    const config = writeConfig((dir) => {
      store = join(dir, 'store.jsonl');
      return `
        import { appendFileSync } from 'node:fs';
        export default {
          exporters: [{ type: 'zipkin', endpoint: 'http://127.0.0.1:${zipkin.port}', scheduledDelayMs: 50 }],
          storage: { type: 'custom', customHandler: (batch) => appendFileSync(${JSON.stringify(store)}, JSON.stringify(batch) + '\\n') },
        };`;
    });
    const app = await startApp('hono-app.ts', { env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_CONFIG: config, BUN_APM_FLUSH_INTERVAL_MS: '600000' } });
    started.push(app);
    for (let i = 0; i < 5; i++) {
      const response = await app.fetch(`/users/${i}`, { headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
      expect(response.status).toBe(200);
    }
    app.process.kill('SIGTERM');
    await app.exited;
    expect(app.process.signalCode as string | null).toBe('SIGTERM');

    expect(zipkinSpans.filter((span) => span.traceId === TRACE).map((span) => span.name.toLowerCase())).toEqual(Array(5).fill('get /users/:id'));
    expect(sink.batches.flatMap((batch) => batch.spans).filter((span) => span.traceId === TRACE)).toHaveLength(5);
    const stored = readFileSync(store, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { batchId: string; rollups: Array<{ count: number }>; spans: Array<{ traceId: string }> });
    // Custom storage gets each cut as it is made; the edge gets batches sealed when they are sent: same data, not the same ids.
    expect(sink.count()).toBe(5);
    expect(stored.flatMap((batch) => batch.spans).filter((span) => span.traceId === TRACE)).toHaveLength(5);
    expect(stored.flatMap((batch) => batch.rollups).reduce((n, cell) => n + cell.count, 0)).toBe(5);
  }, 30_000);

  test('custom storage alone: every cut reaches it, and the app is not told its requests are shipped nowhere', async () => {
    let store = '';
    const config = writeConfig((dir) => {
      store = join(dir, 'store.jsonl');
      return `
        import { appendFileSync } from 'node:fs';
        export default { storage: { type: 'custom', customHandler: (batch) => appendFileSync(${JSON.stringify(store)}, JSON.stringify(batch) + '\\n') } };`;
    });
    const app = await startApp('hono-app.ts', { env: { BUN_APM_ENDPOINT: '', BUN_APM_CONFIG: config, BUN_APM_FLUSH_INTERVAL_MS: '600000' } });
    started.push(app);
    for (let i = 0; i < 3; i++) expect((await app.fetch(`/users/${i}`)).status).toBe(200);
    app.process.kill('SIGTERM');
    await app.exited;
    const stored = readFileSync(store, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { rollups: Array<{ count: number }> });
    expect(stored.flatMap((batch) => batch.rollups).reduce((n, cell) => n + cell.count, 0)).toBe(3);
    // Was: "BUN_APM_ENDPOINT is not set: requests are measured but shipped nowhere", and then a line on BUN_APM_INGEST_KEY.
    expect(app.stderr).not.toContain('shipped nowhere');
    expect(app.stderr).not.toContain('BUN_APM_INGEST_KEY');
  }, 30_000);
});
