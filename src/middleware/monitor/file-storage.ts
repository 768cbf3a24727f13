// File storage: one JSON line per record, appended by one asynchronous writer off the request path,
// rotated to `<filePath>.1` after maxEntries lines. A crash can tear the last line; readMetricsFile
// skips it, and a restart starts on a fresh line.
import { closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { appendFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../core/config/config-error.ts';
import { errorClassOf, type Log } from '../../plugin/runtime/log.ts';
import type { PerformanceMetrics } from '../types.ts';

/** Lines waiting for the writer before new ones are dropped (and counted). */
const MAX_PENDING = 50_000;

export interface FileStorageOptions {
  filePath: string;
  maxEntries: number;
  log: Log;
}

/** Lines in a file and whether it ends mid-line, read in blocks (a big file is never held whole). */
function scanFile(filePath: string): { lines: number; torn: boolean } {
  if (!existsSync(filePath)) return { lines: 0, torn: false };
  const fd = openSync(filePath, 'r');
  try {
    const block = new Uint8Array(1 << 16);
    let lines = 0;
    let last = 0x0a;
    for (;;) {
      const read = readSync(fd, block, 0, block.length, null);
      if (read <= 0) break;
      for (let i = 0; i < read; i++) if (block[i] === 0x0a) lines++;
      last = block[read - 1]!;
    }
    return { lines, torn: last !== 0x0a };
  } finally {
    closeSync(fd);
  }
}

/** An fs error's code (ENOENT, EISDIR, EACCES): its message may not name the path, the code is what to act on. */
function fsReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : errorClassOf(error);
}

export class FileStorage {
  /** Lines dropped: the queue was full or a write failed. */
  dropped = 0;
  #pending: string[] = [];
  #linesInFile = 0;
  #writing: Promise<void> | undefined;
  /** The file ends mid-line (a crash during a write): the next write starts with a newline. */
  #torn = false;

  constructor(readonly options: FileStorageOptions) {
    try {
      mkdirSync(dirname(options.filePath), { recursive: true });
      // Opened for appending now, so a path that can't take lines (a directory, /proc) stops the
      // app at startup with the option's name, not at the first write with a warning.
      closeSync(openSync(options.filePath, 'a'));
      const { lines, torn } = scanFile(options.filePath);
      this.#linesInFile = lines;
      this.#torn = torn;
    } catch (error) {
      throw new ConfigError(`performanceMonitor option storage.filePath: can't append to ${JSON.stringify(options.filePath)} (${fsReason(error)}); expected a file in a directory this process can write`);
    }
  }

  add(metrics: PerformanceMetrics): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending.push(JSON.stringify(metrics));
    this.#writing ??= this.#drain();
  }

  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  close(): Promise<void> {
    return this.flush();
  }

  async #drain(): Promise<void> {
    // Let the request that queued the line finish first; then write everything queued meanwhile.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0) {
        const room = this.options.maxEntries - this.#linesInFile;
        if (room <= 0) {
          await this.#rotate();
          continue;
        }
        const lines = this.#pending.splice(0, Math.min(room, 1000));
        const chunk = (this.#torn ? '\n' : '') + lines.join('\n') + '\n';
        try {
          await appendFile(this.options.filePath, chunk);
          this.#torn = false;
          this.#linesInFile += lines.length;
        } catch (error) {
          this.dropped += lines.length;
          this.options.log.warnOnce('file-storage', `performanceMonitor: writing ${this.options.filePath} failed (${errorClassOf(error)}); records are dropped until it works again`);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #rotate(): Promise<void> {
    try {
      await rename(this.options.filePath, `${this.options.filePath}.1`);
    } catch (error) {
      this.options.log.warnOnce('file-storage-rotate', `performanceMonitor: rotating ${this.options.filePath} failed (${errorClassOf(error)}); writing on`);
    }
    this.#linesInFile = 0;
    this.#torn = false;
  }
}

export { readMetricsFile, type MetricsFileContents, type ReadMetricsLimits } from './read-metrics-file.ts';
