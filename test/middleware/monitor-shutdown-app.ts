// App for monitor-shutdown.test.ts: a Bun.serve app with a PerformanceMonitor (sampleRate 1) whose
// storage is STORAGE=custom (a handler appending one line per record to OUT, synchronously; batches
// far larger than the test's requests and an interval far longer than the test) or STORAGE=file
// (OUT is the file). No signal listener of its own.
// GET /burst?n=N&then=exit|term runs N requests through the monitor in this one turn of the event
// loop (file storage's writer, off the request path, has written none of them yet), then calls
// process.exit(0) or sends this process SIGTERM: the records are all pending as the process ends.
// GET /stop stops the server: nothing keeps the event loop then. HANG=1: the custom handler never
// settles.
import { appendFileSync } from 'node:fs';
import { instrument, performanceMonitor } from '../../src/middleware/index.ts';

const out = process.env.OUT!;
const monitor = performanceMonitor({
  sampleRate: 1,
  profiling: { enabled: false },
  storage:
    process.env.STORAGE === 'file'
      ? { type: 'file', filePath: out, ...(process.env.MAX_ENTRIES ? { maxEntries: Number(process.env.MAX_ENTRIES) } : {}) }
      : {
          type: 'custom',
          batchSize: 100_000,
          flushInterval: 3_600_000,
          customHandler: process.env.HANG ? () => new Promise<void>(() => {}) : (records) => appendFileSync(out, records.map((r) => `${r.method} ${r.path}\n`).join('')),
        },
});

async function burst(n: number, together: boolean): Promise<void> {
  const one = (i: number) => monitor.handle(new Request(`http://127.0.0.1/burst/${i}`), async () => new Response('ok'));
  if (together) await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  else for (let i = 0; i < n; i++) await one(i);
}

const counted = instrument(() => new Response('ok'), monitor);

const served = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: async (req, server) => {
    const url = new URL(req.url);
    if (url.pathname === '/stop') {
      setTimeout(() => served.stop(), 10);
      return new Response('stopping');
    }
    if (url.pathname !== '/burst') return counted(req, server);
    await burst(Number(url.searchParams.get('n')), url.searchParams.has('together'));
    if (url.searchParams.get('then') === 'exit') process.exit(0);
    process.kill(process.pid, 'SIGTERM');
    return new Response('signalled');
  },
});
