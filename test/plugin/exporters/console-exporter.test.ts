// The `console` exporter: one readable line per span, on stdout by default.
import { expect, test } from 'bun:test';
import { createConsoleExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { makeSpan } from './support/spans.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('one line per span with name, kind, duration, status, ids, tags and logs', async () => {
  const lines: string[] = [];
  const exporter = createConsoleExporter({ write: (line) => lines.push(line) });
  exporter.export([
    makeSpan({ traceId: TRACE, spanId: '00f067aa0ba902b7', duration: 12.345, tags: { 'http.method': 'GET' } }),
    makeSpan({
      traceId: TRACE,
      spanId: 'f0e1d2c3b4a59687',
      parentSpanId: '00f067aa0ba902b7',
      name: 'database-query',
      kind: 'client',
      duration: 3,
      status: 'error',
      error: 'connection reset',
      tags: {},
      logs: [{ timestamp: 1, level: 'error', message: 'Database error' }],
    }),
  ]);
  await exporter.flush();
  expect(lines).toEqual([
    `bun-apm: span GET /users/:id server 12.3 ms ok trace=${TRACE} span=00f067aa0ba902b7 {"http.method":"GET"}`,
    `bun-apm: span database-query client 3.0 ms error (connection reset) trace=${TRACE} span=f0e1d2c3b4a59687 parent=00f067aa0ba902b7 {} logs=[{"timestamp":1,"level":"error","message":"Database error"}]`,
  ]);
});

test('by default it prints to stdout, within its 1 s delay', async () => {
  const script = `
    import { createConsoleExporter } from '${new URL('../../../src/plugin/runtime/exporters/index.ts', import.meta.url).pathname}';
    const exporter = createConsoleExporter();
    exporter.export([{ traceId: '${TRACE}', spanId: '00f067aa0ba902b7', name: 'GET /', kind: 'server', startTime: 1, duration: 2, status: 'ok', tags: {}, logs: [] }]);
    // Something else keeps this process alive for 1.5 s; the exporter's own timer would not.
    setTimeout(() => {}, 1500);
  `;
  const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
  const timeout = setTimeout(() => child.kill(), 10_000);
  const [code, out] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  clearTimeout(timeout);
  expect(code).toBe(0);
  expect(out).toBe(`bun-apm: span GET / server 2.0 ms ok trace=${TRACE} span=00f067aa0ba902b7 {}\n`);
});

test('a name or error holding ESC, CR or LF is still one line, with nothing the terminal acts on (a review)', async () => {
  const lines: string[] = [];
  const exporter = createConsoleExporter({ write: (line) => lines.push(line) });
  exporter.export([makeSpan({ traceId: TRACE, spanId: '00f067aa0ba902b7', name: 'x\u001b[31mRED\r\nline2', duration: 1, status: 'error', error: 'bad\nthing\u202e', tags: { note: 'a\nb' } })]);
  await exporter.flush();
  expect(lines).toEqual([`bun-apm: span x\ufffd[31mRED\ufffd\ufffdline2 server 1.0 ms error (bad\ufffdthing\ufffd) trace=${TRACE} span=00f067aa0ba902b7 {"note":"a\\nb"}`]);
});
