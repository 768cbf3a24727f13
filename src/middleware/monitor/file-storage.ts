// File storage: one JSON line per record, appended by one asynchronous writer off the request path,
// rotated to `<filePath>.1` after maxEntries lines. A crash can tear the last line; readMetricsFile
// skips it, and a restart starts on a fresh line. At exit (writeAtExit) the same lines are written
// synchronously: once the writer's append or rename under way has landed (it runs on another
// thread, which exit does not stop at once), the rest of its chunk, then what it had not reached.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { appendFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../core/config/config-error.ts';
import { errorClassOf, type Log } from '../../plugin/runtime/log.ts';
import type { PerformanceMetrics } from '../types.ts';

/** Lines waiting for the writer before new ones are dropped (and counted). */
const MAX_PENDING = 50_000;
/** How long the exit waits for the writer's append or rename under way to land before going on itself. */
const AT_EXIT_WAIT_MS = 500;
/** What the exit's wait sleeps on, 1 ms at a time (nothing ever wakes it). */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** At exit, synchronously: until `done`, or AT_EXIT_WAIT_MS, while the thread pool's work goes on. */
function waitAtExit(done: () => boolean): void {
  const deadline = performance.now() + AT_EXIT_WAIT_MS;
  while (!done() && performance.now() < deadline) Atomics.wait(pause, 0, 0, 1);
}

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

/** What is at `path` (undefined: nothing yet, or it cannot be looked at: opening it then says why). */
function kindOf(path: string): string | undefined {
  try {
    const stats = statSync(path);
    if (stats.isFile()) return 'file';
    if (stats.isDirectory()) return 'directory';
    if (stats.isFIFO()) return 'pipe';
    if (stats.isSocket()) return 'socket';
    return 'device';
  } catch {
    return undefined;
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
  /** The file's size as this writer has made it (read once at start): where a chunk under way began, without a stat per chunk. */
  #bytesInFile = 0;
  /** The chunk being appended, and the file's size before it: at exit, how much of it is in the file. */
  #underWay: { chunk: Buffer; lines: number; sizeBefore: number } | undefined;
  /** The rename to `.1` under way: the file's inode before it. */
  #rotating: number | undefined;

  constructor(readonly options: FileStorageOptions) {
    // A device or a pipe (/dev/stdout, a FIFO) is no file of lines to count and rotate: reading it to
    // its end had blocked the app's start for good, or spun on /dev/full (a review). Asked before
    // opening it, which a FIFO blocks too.
    const kind = kindOf(options.filePath);
    if (kind !== undefined && kind !== 'file') {
      throw new ConfigError(`performanceMonitor option storage.filePath: ${JSON.stringify(options.filePath)} is a ${kind}, not a file; expected a file in a directory this process can write (records go to a file of lines, rotated to .1)`);
    }
    try {
      mkdirSync(dirname(options.filePath), { recursive: true });
      // Opened for appending now, so a path that can't take lines (a directory, /proc) stops the
      // app at startup with the option's name, not at the first write with a warning.
      closeSync(openSync(options.filePath, 'a'));
      const { lines, torn } = scanFile(options.filePath);
      this.#linesInFile = lines;
      this.#torn = torn;
      this.#bytesInFile = statSync(options.filePath).size;
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

  /** Lines pending or being appended. */
  unfinished(): number {
    return this.#pending.length + (this.#underWay?.lines ?? 0);
  }

  /**
   * At exit, synchronously, as the writer would: the part of the chunk under way that is not in the
   * file yet (the exit may come before its append ran, or halfway), then every line pending, rotated
   * by maxEntries. Returns 0: what fails here is counted in `dropped` and said once, as ever.
   */
  writeAtExit(): number {
    if (this.#rotating !== undefined) this.#rotationLanded(this.#rotating);
    const underWay = this.#underWay;
    this.#underWay = undefined;
    if (underWay !== undefined) {
      const written = this.#landed(underWay);
      // Smaller than before: rotated away meanwhile; larger than the chunk: written, and more by someone else.
      // Short of it after the wait: the append is stuck or failed, so the rest is written here (should
      // the stuck one land still, those lines are in the file twice: better than not at all).
      if (written >= 0 && written < underWay.chunk.length) this.#appendSync(underWay.chunk.subarray(written), underWay.lines);
      else this.#wrote(underWay.chunk.length - Math.max(0, written), underWay.lines);
    }
    while (this.#pending.length > 0) {
      const next = this.#nextChunk(this.#pending.length);
      if (next === undefined) this.#rotateSync();
      else this.#appendSync(next.chunk, next.lines);
    }
    return 0;
  }

  /**
   * Bytes of the chunk under way in the file, once it is all there or after AT_EXIT_WAIT_MS. The
   * writer's append runs on a thread of Bun's pool, which goes on while this one waits at exit: read
   * at once, an append not begun looked unwritten, was written again here, and then landed too (a
   * chunk twice in the file, one run in four).
   */
  #landed(underWay: { chunk: Buffer; sizeBefore: number }): number {
    waitAtExit(() => {
      const written = this.#sizeNow() - underWay.sizeBefore;
      return written < 0 || written >= underWay.chunk.length;
    });
    return this.#sizeNow() - underWay.sizeBefore;
  }

  /**
   * At exit, the writer's rename under way lands (the path names another file, or none) before
   * anything is written: renamed here too, the lines written after it would be renamed over `.1` by
   * the late one. Stuck past AT_EXIT_WAIT_MS, the file is taken as rotated all the same: should the
   * rename land still, it carries these lines to `.1`, where they are kept.
   */
  #rotationLanded(inode: number): void {
    // -1: there was no file to rename (that rename fails), nothing to wait for.
    waitAtExit(() => inode === -1 || this.#inodeNow() !== inode);
    this.#rotating = undefined;
    this.#rotated();
  }

  /** The next pending lines as one chunk, at most `max` and what the file has room for; undefined when it is full (rotate first). */
  #nextChunk(max: number): { chunk: Buffer; lines: number } | undefined {
    const room = this.options.maxEntries - this.#linesInFile;
    if (room <= 0) return undefined;
    const lines = this.#pending.splice(0, Math.min(room, max));
    return { chunk: Buffer.from((this.#torn ? '\n' : '') + lines.join('\n') + '\n'), lines: lines.length };
  }

  /** `bytes` of `lines` are in the file now. */
  #wrote(bytes: number, lines: number): void {
    this.#torn = false;
    this.#linesInFile += lines;
    this.#bytesInFile += bytes;
  }

  /** The file was rotated away (or failed to be, said once): the next line starts a new one. */
  #rotated(error?: unknown): void {
    if (error !== undefined) this.options.log.warnOnce('file-storage-rotate', `performanceMonitor: rotating ${this.options.filePath} failed (${fsReason(error)}); writing on`);
    this.#linesInFile = 0;
    // Not rotated: the file kept what it had, which a chunk under way at exit is measured from.
    this.#bytesInFile = error === undefined ? 0 : this.#sizeNow();
    this.#torn = false;
  }

  async #drain(): Promise<void> {
    // Let the request that queued the line finish first; then write everything queued meanwhile.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0) {
        const next = this.#nextChunk(1000);
        if (next === undefined) {
          await this.#rotate();
          continue;
        }
        const underWay = { ...next, sizeBefore: this.#bytesInFile };
        this.#underWay = underWay;
        try {
          await appendFile(this.options.filePath, next.chunk);
          this.#wrote(next.chunk.length, next.lines);
        } catch (error) {
          this.#failed(error, next.lines);
        } finally {
          // Taken by an exit that wrote it meanwhile: counted there.
          if (this.#underWay === underWay) this.#underWay = undefined;
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** The file's size now (0 when it is not there). */
  #sizeNow(): number {
    try {
      return statSync(this.options.filePath).size;
    } catch {
      return 0;
    }
  }

  #appendSync(chunk: Buffer, lines: number): void {
    try {
      appendFileSync(this.options.filePath, chunk);
      this.#wrote(chunk.length, lines);
    } catch (error) {
      this.#failed(error, lines);
    }
  }

  #failed(error: unknown, lines: number): void {
    this.dropped += lines;
    this.options.log.warnOnce('file-storage', `performanceMonitor: writing ${this.options.filePath} failed (${fsReason(error)}); records are dropped until it works again`);
  }

  #rotateSync(): void {
    try {
      renameSync(this.options.filePath, `${this.options.filePath}.1`);
      this.#rotated();
    } catch (error) {
      this.#rotated(error);
    }
  }

  async #rotate(): Promise<void> {
    const rotating = this.#inodeNow();
    this.#rotating = rotating;
    try {
      await rename(this.options.filePath, `${this.options.filePath}.1`);
      this.#rotated();
    } catch (error) {
      this.#rotated(error);
    } finally {
      if (this.#rotating === rotating) this.#rotating = undefined;
    }
  }

  /** The inode the path names now (-1 when none). */
  #inodeNow(): number {
    try {
      return statSync(this.options.filePath).ino;
    } catch {
      return -1;
    }
  }
}

export { readMetricsFile, type MetricsFileContents, type ReadMetricsLimits } from './read-metrics-file.ts';
