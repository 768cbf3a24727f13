// Where detail records go: every storage keeps the latest ones in memory for getMetrics(), and the
// file and custom storages also hand them on, off the request path.
import { ownCut } from '../../core/own-copy.ts';
import { ConfigError } from '../../core/config/config-error.ts';
import { MONITOR } from '../../core/config/settings.ts';
import { LIMITS } from '../../core/wire-format.ts';
import type { ExitStorage } from '../../plugin/runtime/exit-storages.ts';
import type { Log } from '../../plugin/runtime/log.ts';
import { optionChecks } from '../option-checks.ts';
import type { PerformanceMetrics, StorageOptions } from '../types.ts';
import { CustomStorage } from './custom-storage.ts';
import { FileStorage } from './file-storage.ts';

/** A storage that hands records on; what it holds at the end of the process is flushed then (exit-storages.ts). */
export interface MetricsSink extends ExitStorage {
  add(metrics: PerformanceMetrics): void;
  /** Resolves when everything handed on so far has been written or given up. Never rejects. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The newest `capacity` records, oldest dropped first. */
export class MetricsRing {
  #items: PerformanceMetrics[] = [];
  #start = 0;

  constructor(readonly capacity: number) {}

  add(metrics: PerformanceMetrics): void {
    // Cut as the preload's samples are, before storage gets the same record; copied, as a slice keeps the whole string it was cut from alive.
    metrics.path = ownCut(metrics.path, LIMITS.pathLength);
    if (this.#items.length < this.capacity) {
      this.#items.push(metrics);
      return;
    }
    this.#items[this.#start] = metrics;
    this.#start = (this.#start + 1) % this.capacity;
  }

  toArray(): PerformanceMetrics[] {
    return [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
  }

  clear(): void {
    this.#items = [];
    this.#start = 0;
  }
}

const option = optionChecks('performanceMonitor');

/** Entries kept in memory when the options don't say (and when file storage is chosen). */
export const MEMORY_MAX_ENTRIES = MONITOR.storageMaxEntries.default;

/** Validates the storage options (throws at creation) and builds the sink, if the type has one. */
export function createMetricsSink(storage: StorageOptions, log: Log): MetricsSink | undefined {
  const type = storage.type ?? 'memory';
  const maxEntries = option(MONITOR.storageMaxEntries, storage.maxEntries);
  switch (type) {
    case 'memory':
      return undefined;
    case 'file':
      // A file rotates at 100 000 lines unless told; memory keeps its own default then.
      return new FileStorage({ filePath: option(MONITOR.storageFilePath, storage.filePath), maxEntries: storage.maxEntries === undefined ? 100_000 : maxEntries, log });
    case 'custom':
      if (typeof storage.customHandler !== 'function') throw new ConfigError('performanceMonitor option storage.customHandler: expected a function (metrics) => void | Promise<void>, which storage type "custom" needs');
      return new CustomStorage({ handler: storage.customHandler, batchSize: option(MONITOR.storageBatchSize, storage.batchSize), flushInterval: option(MONITOR.storageFlushInterval, storage.flushInterval), log });
    default:
      // The options' one kind of error (ConfigError), as every other option's mistake.
      throw new ConfigError(`performanceMonitor option storage.type: expected memory, file or custom, got ${shownType(type)}`);
  }
}

/** The refused type, short: a type given from untyped code may be anything. */
function shownType(type: unknown): string {
  return typeof type === 'string' ? JSON.stringify(type.slice(0, 100)) : typeof type;
}
