// An option the explicit API does not take is named on construction, with the nearest real one: a
// JavaScript caller's misspelling (`sampelRate`) was ignored without a word. Every real option,
// given, warns of nothing (the key lists are checked against the option types by the compiler).
import { afterEach, expect, test } from 'bun:test';
import { keysOf } from '../../src/middleware/option-checks.ts';
import { thrown } from '../support/config-error.ts';
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

test('inside a section too: storage, profiling, alerting, retention, propagation (found by a review)', () => {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const monitor = performanceMonitor({ log, storage: { type: 'memory', maxEntires: 5, maxEntry: 5 }, profiling: { enabled: false, intervall: 100 }, alerting: { threshold: 1 }, retention: { maxAge: 1 } } as never);
  const tracer = requestTracer({ log, propagation: { enable: false } } as never);
  closers.push(monitor.close, tracer.close);
  expect(lines).toEqual([
    'bun-apm: performanceMonitor option storage.maxEntires is unknown and ignored (did you mean maxEntries?)',
    // Three edits away, but begun alike (a review: no suggestion).
    'bun-apm: performanceMonitor option storage.maxEntry is unknown and ignored (did you mean maxEntries?)',
    'bun-apm: performanceMonitor option profiling.intervall is unknown and ignored (did you mean interval?)',
    'bun-apm: performanceMonitor option alerting.threshold is unknown and ignored (did you mean thresholds?)',
    'bun-apm: performanceMonitor option retention.maxAge is unknown and ignored (did you mean maxAgeMs?)',
    'bun-apm: requestTracer option propagation.enable is unknown and ignored (did you mean enabled?)',
  ]);
});

test('a name with a word put in is the option it qualifies; one that goes on with another word is named alone', () => {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const tracer = requestTracer({ log, includeRequestHeaders: true, includeRequestCookies: true } as never);
  closers.push(tracer.close);
  expect(lines).toEqual([
    // Was: (did you mean includeRequestBody?), from the words they begin with: request bodies, not headers.
    'bun-apm: requestTracer option includeRequestHeaders is unknown and ignored (did you mean includeHeaders?)',
    'bun-apm: requestTracer option includeRequestCookies is unknown and ignored',
  ]);
});

test('a section, list or function of another type is a ConfigError naming it (it had been taken and ignored, or thrown later)', () => {
  const refusals: Array<[() => unknown, string]> = [
    [() => performanceMonitor({ storage: 'memory' } as never), 'performanceMonitor option storage: expected an object of type, maxEntries, filePath, customHandler, batchSize, flushInterval'],
    [() => performanceMonitor({ profiling: true } as never), 'performanceMonitor option profiling: expected an object of enabled, interval, maxProfiles'],
    [() => performanceMonitor({ alerting: true } as never), 'performanceMonitor option alerting: expected an object of enabled, thresholds, channels'],
    [() => performanceMonitor({ retention: 5 } as never), 'performanceMonitor option retention: expected an object of maxAgeMs, maxCells'],
    [() => performanceMonitor({ log: 5 } as never), 'performanceMonitor option log: expected a function'],
    [() => performanceMonitor({ random: 5 } as never), 'performanceMonitor option random: expected a function'],
    [() => requestTracer({ propagation: true } as never), 'requestTracer option propagation: expected an object of enabled, headers'],
    [() => requestTracer({ exporters: { type: 'console' } } as never), 'requestTracer option exporters: expected an array'],
    [() => performanceAlerting({ rules: {} } as never), 'performanceAlerting option rules: expected an array'],
    [() => performanceAlerting(null as never), 'performanceAlerting options: expected an object, got null'],
    [() => performanceDashboard(null as never), 'performanceDashboard options: expected an object, got null'],
    [() => performanceDashboard({ title: 5 } as never), 'performanceDashboard option title: expected a title of at most 200 characters, got 5'],
  ];
  for (const [make, message] of refusals) expect(thrown(make).message).toBe(message);
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
