// Wires the preload together: configuration → recorder → batcher and exporters → instrumentation
// of Bun.serve, fetch and known routers → profiler → shutdown hooks. Everything that can fail on a
// bad setting runs before the first global is touched, so a refused configuration leaves the app as it was.
import { checkEdgeEntry, exporterTarget, type ExporterConfig } from '../runtime/exporters/exporter-config.ts';
import { combineSpanExporters } from '../runtime/exporters/combine-span-exporters.ts';
import type { SpanExporter } from '../runtime/exporters/span-exporter.ts';
import { Batcher } from '../runtime/batcher.ts';
import { ConfigError, type Env } from './config-env.ts';
import { createEdgeSender, type EdgeTarget } from '../runtime/edge-sender.ts';
import { createOutageLog } from '../runtime/outage-log.ts';
import { createEdgeSpanExporter } from '../runtime/edge-span-exporter.ts';
import { learnHostName, processIdentity, SDK_VERSION, servingInstance } from '../runtime/identity.ts';
import { instrumentFetch } from './instrument-fetch.ts';
import { instrumentServe } from './instrument-serve.ts';
import { describeSampling, loadConfig, samplingOf, type ResolvedConfig } from './load-config.ts';
import { createLog, type Log } from '../runtime/log.ts';
import { setProcessRecorder } from '../runtime/process-recorder.ts';
import { Recorder } from '../runtime/recorder.ts';
import { installRouterHooks } from './router-hooks.ts';
import { installShutdown, serverWatch } from './shutdown.ts';
import { SystemProfiler } from '../runtime/system-profiler.ts';

export interface Monitoring {
  config: ResolvedConfig;
  recorder: Recorder;
  batcher: Batcher;
  profiler: SystemProfiler;
}

export async function startMonitoring(env: Env, cwd: string, entry: string | undefined): Promise<Monitoring | undefined> {
  const config = await loadConfig(env, cwd, entry);
  if (config.disabled) return undefined;
  const log = createLog(config.debug);
  const sampling = samplingOf(config);
  // The batch says how its detail was sampled (identity travels with every batch).
  await learnHostName();
  const identity = { ...processIdentity(config.app, config.service), sampling };
  const target: EdgeTarget | undefined = config.endpoint ? { endpoint: config.endpoint, ingestKey: config.ingestKey, sdkVersion: SDK_VERSION, instance: identity.instance } : undefined;

  let batcher: Batcher | undefined;
  let exporters: SpanExporter | undefined;
  const recorder = new Recorder({
    sampleRate: config.sampleRate,
    traceSampleRate: config.traceSampleRate,
    samplesPerSecond: config.samplesPerSecond,
    tracesPerSecond: config.tracesPerSecond,
    parentTracesPerSecond: config.parentTracesPerSecond,
    routeFairness: config.routeFairness,
    routeCap: config.routeCap,
    serverTiming: config.serverTiming,
    log,
    onFull: () => batcher?.requestCut(),
    onDetailFull: () => batcher?.requestDetailCut(),
    spanSink: (span) => exporters?.export([span]),
  });
  // One voice for an outage, whether the sender or the batcher hears it first.
  const outage = createOutageLog(log);
  batcher = new Batcher({
    recorder,
    identity,
    flushIntervalMs: config.flushIntervalMs,
    maxPendingBytes: config.maxPendingBytes,
    send: target ? createEdgeSender(target, config.export, outage) : undefined,
    customStorage: config.customStorage,
    log,
    outage,
  });
  const edge = createEdgeSpanExporter(batcher);
  const all = await buildExporters(config, edge, target !== undefined, log);
  exporters = combineSpanExporters(all);
  recorder.exportTargets = new Set(exportTargets(config.exporters as unknown as ExporterConfig[], target !== undefined));
  recorder.exportService = config.service;
  const others = all.filter((exporter) => exporter !== edge);

  const profiler = new SystemProfiler(recorder, { interval: config.profiling.interval, onProfile: (profile) => batcher.addProfile(profile) });
  // Timers start with the first server: a script that never serves (bunfig preloads apply to every
  // `bun run`) gets no profiles, no batches and no final flush.
  let serving = false;
  const startTimers = (options: unknown) => {
    if (serving) return;
    serving = true;
    // Processes sharing a port (reusePort) are told apart only now: the id changes while no batch is sealed.
    if (!batcher.pending.sealed) identity.instance = servingInstance(config.app, options);
    if (target) target.instance = identity.instance;
    // Said here, not at load: with a bunfig preload every `bun run` of a script would say it.
    // With custom storage alone, its handler gets every batch: nothing to say.
    if (!target && config.customStorage === undefined) log.warnOnce('no-endpoint', 'BUN_APM_ENDPOINT is not set: requests are measured but shipped nowhere');
    // The edge has no keyless mode: without a key every batch is refused (401).
    else if (target && !config.ingestKey) log.warnOnce('no-key', "BUN_APM_INGEST_KEY is not set: the edge refuses every batch without one (HTTP 401); set it to this app's key in the edge's INGEST_KEYS (`bunx bun-apm keys` prints it)");
    if (config.profiling.enabled) profiler.start();
    batcher.start();
  };
  instrumentServe(recorder, log, startTimers, serverWatch());
  instrumentFetch(recorder);
  installRouterHooks(log);
  installShutdown({
    batcher,
    target,
    exporters: others.length > 0 ? combineSpanExporters(others) : undefined,
    stopTimers: () => profiler.stop(),
    settleFailures: () => recorder.settleFailures(),
    inFlight: () => recorder.inFlight,
    log,
  });
  setProcessRecorder(recorder);

  for (const warning of config.unknown) log.warnOnce(warning, warning);
  log.debug(
    `monitoring ${identity.app}/${identity.service} (${identity.instance}): ${describeSampling(sampling)}, ` +
      `flush every ${config.flushIntervalMs} ms${config.file ? `, settings from ${config.file}` : ''}, exporters: ${all.map((e) => e.name).join(', ') || 'none'}`,
  );
  return { config, recorder, batcher, profiler };
}

/** Where the preload's spans go (exporterTarget), the edge included whenever an endpoint is set. */
function exportTargets(configs: readonly ExporterConfig[], hasEndpoint: boolean): string[] {
  const targets = configs.map((entry) => exporterTarget(entry)).filter((target) => target !== undefined);
  return hasEndpoint ? [...targets, 'edge'] : targets;
}

/** The configured trace exporters, plus the edge whenever an endpoint is set (once, even if listed). */
async function buildExporters(config: ResolvedConfig, edge: SpanExporter, hasEndpoint: boolean, log: Log): Promise<SpanExporter[]> {
  checkEdgeEntry(config.exporters, hasEndpoint);
  let created: SpanExporter[] = [];
  // The exporters' encoders load only when some are configured: every module loaded stays in the
  // app's heap for good, and each full garbage collection of the app marks all of it again.
  if (config.exporters.length > 0) {
    const { createSpanExporters } = await import('../runtime/exporters/create-span-exporters.ts');
    try {
      created = createSpanExporters(config.exporters as unknown as ExporterConfig[], {
        serviceName: config.service,
        edge: () => edge,
        // Each exporter warns once per kind of trouble; keyed by text, every distinct answer was kept.
        log: (message) => log.info(message),
      });
    } catch (error) {
      throw new ConfigError((error as Error).message.replace(/^bun-apm: /, ''));
    }
  }
  const unique = new Set(created);
  if (hasEndpoint) unique.add(edge);
  return [...unique];
}
