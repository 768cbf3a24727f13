// The preload's settings: `BUN_APM_*` variables and the keys of bun-apm.config.ts. Apart from the
// rest of the table (settings.ts re-exports it) because the preload loads only this part: every
// module it loads stays in the app's heap for good, and the explicit API's and the Worker's
// tables were half the table's objects there.
import { appId, choice, flag, httpUrl, integerIn, name, numberIn, secretLine, text } from './kinds.ts';
import { setting } from './setting.ts';

export const HOUR_MS = 3_600_000;
export const MIB = 1024 * 1024;

/** Shared by the preload and the explicit API, so the two halves of one process agree. */
export const appName = setting('app', name(), undefined);
export const routeCap = setting('routeCap', integerIn(1, 100_000), 500);
const perSecond = numberIn(0, 1_000_000);
export const fraction = numberIn(0, 1);

/**
 * The edge's base URL. The ingest URL pasted whole (`…/v1/ingest`, what a batch is posted to) is
 * taken for its base: it had posted to `…/v1/ingest/v1/ingest`, and every batch met a 404.
 */
function edgeBase(url: string): string {
  return new URL(url).href.replace(/\/+$/, '').replace(/\/v1\/ingest$/, '');
}

/** The zero-code preload: `BUN_APM_*` variables and the keys of bun-apm.config.ts (the environment wins). */
export const PRELOAD = {
  endpoint: setting('endpoint', httpUrl(edgeBase, true), undefined, { env: 'BUN_APM_ENDPOINT' }),
  ingestKey: setting('ingestKey', secretLine, undefined, { env: 'BUN_APM_INGEST_KEY' }),
  // Stricter than the explicit API's name: the edge refuses a batch whose app is no app id.
  app: setting('app', appId, undefined, { env: 'BUN_APM_APP' }),
  service: setting('service', name(), undefined, { env: 'BUN_APM_SERVICE' }),
  instance: setting('instance', text(65_536, 'any text (control characters dropped, the first 64 characters kept)'), undefined, { env: 'BUN_APM_INSTANCE', inFile: false }),
  samplesPerSecond: setting('samplesPerSecond', perSecond, 10, { env: 'BUN_APM_SAMPLES_PER_SECOND' }),
  tracesPerSecond: setting('tracesPerSecond', perSecond, 1, { env: 'BUN_APM_TRACES_PER_SECOND' }),
  parentTracesPerSecond: setting('parentTracesPerSecond', perSecond, 10, { env: 'BUN_APM_PARENT_TRACES_PER_SECOND' }),
  routeFairness: setting('routeFairness', flag, true, { env: 'BUN_APM_ROUTE_FAIRNESS' }),
  sampleRate: setting('sampleRate', fraction, undefined, { env: 'BUN_APM_SAMPLE_RATE' }),
  traceSampleRate: setting('traceSampleRate', fraction, undefined, { env: 'BUN_APM_TRACE_SAMPLE_RATE' }),
  flushIntervalMs: setting('flushIntervalMs', integerIn(100, HOUR_MS), 10_000, { env: 'BUN_APM_FLUSH_INTERVAL_MS' }),
  maxPendingBytes: setting('maxPendingBytes', integerIn(1024, 2 ** 31), 16 * MIB, { env: 'BUN_APM_MAX_PENDING_BYTES' }),
  routeCap,
  profilingEnabled: setting('profiling.enabled', flag, true),
  profilingInterval: setting('profiling.interval', integerIn(100, HOUR_MS), 5_000),
  serverTiming: setting('serverTiming', choice(['traced', 'all', 'off']), 'traced', { env: 'BUN_APM_SERVER_TIMING' }),
  exportMaxAttempts: setting('export.maxAttempts', integerIn(1, 20), 5),
  exportInitialBackoffMs: setting('export.initialBackoffMs', numberIn(0, 600_000), 1_000),
  exportMaxBackoffMs: setting('export.maxBackoffMs', numberIn(0, 600_000), 30_000),
  exportTimeoutMs: setting('export.timeoutMs', numberIn(1, 600_000), 10_000),
  config: setting('config', text(4096, 'a path to an existing file'), undefined, { env: 'BUN_APM_CONFIG', inFile: false }),
  disabled: setting('disabled', flag, false, { env: 'BUN_APM_DISABLED' }),
  debug: setting('debug', flag, false, { env: 'BUN_APM_DEBUG' }),
};

/** BUN_APM_* names read outside the preload (the edge's dev flag, the scripts' own): no preload setting, yet no misspelling either. */
export const OTHER_VARIABLES = ['BUN_APM_DEV', 'BUN_APM_DEMO_SECONDS', 'BUN_APM_DEMO_SPIKE_AT', 'BUN_APM_STATE_DIR'];
