// Child process for monitor-file-crash.test.ts: serves requests through a file-storage monitor as
// fast as it can, until the test kills it with SIGKILL.
import { performanceMonitor } from '../../src/middleware/index.ts';
import { Router } from './spec-examples/mini-router.ts';

const filePath = process.argv[2]!;
const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath, maxEntries: 1_000_000 } });
const router = new Router().use(monitor);
router.get('/items/:id', (req) => Response.json({ id: req.params.id }));
const userAgent = `crash-test/${'x'.repeat(2000)}`; // long lines: a kill lands mid-line more often
process.stdout.write('ready\n');
for (let i = 0; i < 50_000_000; i++) {
  await router.fetch(new Request(`http://app.test/items/${i}`, { headers: { 'user-agent': userAgent } }));
  if (i % 200 === 0) await monitor.flush();
}
