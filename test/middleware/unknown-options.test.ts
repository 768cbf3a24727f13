// An option the explicit API does not take is named on construction, with the nearest real one: a
// JavaScript caller's misspelling (`sampelRate`) was ignored without a word. Every real option,
// given, warns of nothing (the key lists are checked against the option types by the compiler).
import { afterEach, expect, test } from 'bun:test';
import { keysOf } from '../../src/middleware/option-checks.ts';
import { performanceAlerting, performanceDashboard, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
});

test('each constructor names the options it does not take, with the nearest real one', () => {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const monitor = performanceMonitor({ log, sampelRate: 0.5, profiling: { enabled: false } } as never);
  const tracer = requestTracer({ log, sampleRat: 1, colour: 'blue' } as never);
  const alerting = performanceAlerting({ log, enabled: false, evaluationIntervall: 5_000 } as never);
  closers.push(monitor.close, tracer.close, alerting.close);
  expect(lines).toEqual([
    'bun-apm: performanceMonitor option sampelRate is unknown and ignored (did you mean sampleRate?)',
    'bun-apm: requestTracer option sampleRat is unknown and ignored (did you mean sampleRate?)',
    'bun-apm: requestTracer option colour is unknown and ignored',
    'bun-apm: performanceAlerting option evaluationIntervall is unknown and ignored (did you mean evaluationInterval?)',
  ]);
});

test('every real option given: no warning', () => {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const monitor = performanceMonitor({
    log, enabled: true, sampleRate: 1, storage: { type: 'memory' }, profiling: { enabled: false }, alerting: {}, debug: false,
    retention: { maxAgeMs: 60_000 }, random: Math.random,
  });
  const tracer = requestTracer({
    log, enabled: true, sampleRate: 1, includeHeaders: false, includeQueryParams: false, includeRequestBody: false, includeResponseBody: false,
    maxBodyBytes: 1024, exporters: [], propagation: {}, serviceName: 's', spanTimeout: 1000, maxRecentSpans: 10, maxActiveSpans: 10, random: Math.random,
  });
  const alerting = performanceAlerting({
    log, enabled: false, rules: [], channels: [], app: 'a', dashboardUrl: 'http://127.0.0.1/', evaluationInterval: 1000, evaluationDelay: 0,
    maxNotifications: 10, maxSamples: 100, routeCap: 10, sampleProcess: false, delivery: {}, now: Date.now, env: {},
  });
  closers.push(monitor.close, tracer.close, alerting.close);
  performanceDashboard({ enabled: false, path: '/p', title: 't', refreshInterval: 5000, authentication: { enabled: false }, features: {}, monitor, tracer, alerting, app: 'a', clientId: () => 'c', now: Date.now });
  expect(lines).toEqual([]);
});

test('a key list that misses an option, or names one that does not exist, does not compile', () => {
  type Options = { a?: number; b?: number };
  // @ts-expect-error b is missing
  keysOf<Options>()(['a']);
  // @ts-expect-error c is no option
  keysOf<Options>()(['a', 'b', 'c']);
  expect(keysOf<Options>()(['a', 'b'])).toEqual(['a', 'b']);
});
