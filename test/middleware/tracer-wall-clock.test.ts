// The tracer's spans on the wall clock as it is now, not as it was when the process started: a
// review saw a child span drawn 8 s before its server span once the host's clock had drifted and
// the preload's profiler had followed it (the tracer read performance.timeOrigin, fixed at start).
import { afterEach, expect, setSystemTime, test } from 'bun:test';
import { requestTracer, type TraceSpan } from '../../src/middleware/index.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';
import { Recorder } from '../../src/plugin/runtime/recorder.ts';
import { Router } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
  setSystemTime();
});

const STEP_MS = 8_000;

function routerWithChild(tracer: ReturnType<typeof requestTracer>): Router {
  return new Router().use(tracer).get('/tagged', async (req) => {
    const child = tracer.createChildSpan(req.spanId!, 'db');
    await Bun.sleep(5);
    if (child) tracer.finish(child, 'ok');
    return new Response('ok');
  });
}

test('under the preload, after its clock followed a step of the system clock, the child span lies inside its server span', async () => {
  const shipped: TraceSpan[] = [];
  const preload = new Recorder({ sampleRate: 1, traceSampleRate: 1, log: createLog(false), spanSink: (span) => shipped.push(span) });
  setProcessRecorder(preload);
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(tracer.close);
  const router = routerWithChild(tracer);
  // What the profiler does at its next profile once the clock stepped forward.
  preload.wallOffset += STEP_MS;
  const req = new Request('http://app.test/tagged');
  const state = preload.begin(req)!;
  preload.respond(state, await router.fetch(req), undefined, true);
  await tracer.flush();
  const server = shipped.find((span) => span.kind === 'server')!;
  const child = shipped.find((span) => span.name === 'db')!;
  expect(server).toBeDefined();
  expect(child).toBeDefined();
  expect(child.parentSpanId).toBe(server.spanId);
  // Was: the child 8 s before its parent.
  expect(child.startTime).toBeGreaterThanOrEqual(server.startTime);
  expect(child.startTime + child.duration).toBeLessThanOrEqual(server.startTime + server.duration + 1e-6);
});

test('without the preload, spans and logs follow the system clock when it steps', async () => {
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(tracer.close);
  const router = routerWithChild(tracer);
  // A clock stepped ahead that goes on ticking (setSystemTime would hold it still).
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + STEP_MS;
  closers.push(() => {
    Date.now = realNow;
  });
  const stepped = Date.now();
  await router.fetch(new Request('http://app.test/tagged'));
  await tracer.flush();
  const spans = tracer.getRecentSpans();
  const server = spans.find((span) => span.kind === 'server')!;
  const child = spans.find((span) => span.name === 'db')!;
  // Was: both ≈ 8 s behind the clock the rest of the app (and the other services) read.
  for (const span of [server, child]) {
    expect(span.startTime).toBeGreaterThanOrEqual(stepped - 1);
    expect(span.startTime).toBeLessThan(stepped + 1_000);
  }
  expect(child.startTime).toBeGreaterThanOrEqual(server.startTime);
});
