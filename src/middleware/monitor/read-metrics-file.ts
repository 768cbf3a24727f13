// Reads a metrics file of the file storage back: a file anyone may have edited, truncated or filled,
// so it is read in blocks (never held whole), a line past the length cap is skipped without being
// kept, and a line counts only when it is a record whose numbers are finite.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import type { PerformanceMetrics } from '../types.ts';

export interface ReadMetricsLimits {
  /** Lines longer than this (bytes) are skipped unread; default 1 MiB (a record is a few KiB at most). */
  maxLineBytes?: number;
  /** Records kept at most, the newest; default 1,000,000. */
  maxRecords?: number;
}

export interface MetricsFileContents {
  metrics: PerformanceMetrics[];
  /** Lines that are not whole records: torn by a crash, too long, not JSON, or with fields of the wrong kind. */
  skipped: number;
  /** Whole records left out, oldest first, past `maxRecords` (absent when none were). */
  truncated?: number;
}

const BLOCK = 1 << 16;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isString = (v: unknown) => typeof v === 'string';

const isMemory = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v)
  && ['rss', 'heapUsed', 'heapTotal'].every((k) => optional((v as Record<string, unknown>)[k], finite));

/**
 * Whether a parsed line can be a record: an object whose fields, where present, are of the kinds
 * the monitor writes, every number finite (`1e999` parses to Infinity) and every duration ≥ 0.
 */
function isRecord(value: unknown): value is PerformanceMetrics {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return optional(r.timestamp, finite) && optional(r.statusCode, Number.isInteger)
    && optional(r.responseTime, (v) => finite(v) && v >= 0) && optional(r.cpuUsage, finite) && optional(r.memoryUsage, isMemory)
    && ['method', 'path', 'route', 'userAgent', 'traceId', 'spanId', 'error'].every((k) => optional(r[k], isString));
}

/**
 * Reads a metrics file back (the rotated `<filePath>.1` first, when `withRotated`), skipping lines
 * that are not whole records, such as the one a crash tore.
 *
 * @example
 * const { metrics, skipped } = readMetricsFile('./metrics.jsonl');
 */
export function readMetricsFile(filePath: string, withRotated = false, limits: ReadMetricsLimits = {}): MetricsFileContents {
  const maxLineBytes = limits.maxLineBytes ?? 1 << 20;
  const maxRecords = limits.maxRecords ?? 1_000_000;
  let metrics: PerformanceMetrics[] = [];
  let skipped = 0;
  let seen = 0;
  const decoder = new TextDecoder();
  const take = (line: Uint8Array) => {
    if (line.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(line));
    } catch {
      skipped++;
      return;
    }
    if (!isRecord(parsed)) {
      skipped++;
      return;
    }
    seen++;
    metrics.push(parsed);
    // Keeps the newest: trims in halves, so each record is copied a bounded number of times.
    if (metrics.length >= 2 * maxRecords) metrics = metrics.slice(-maxRecords);
  };

  for (const file of withRotated ? [`${filePath}.1`, filePath] : [filePath]) {
    if (!existsSync(file)) continue;
    const fd = openSync(file, 'r');
    try {
      const block = new Uint8Array(BLOCK);
      let parts: Uint8Array[] = [];
      let length = 0;
      let tooLong = false;
      for (;;) {
        const read = readSync(fd, block, 0, BLOCK, null);
        if (read <= 0) break;
        let start = 0;
        for (let i = 0; i < read; i++) {
          if (block[i] !== 0x0a) continue;
          if (!tooLong && length + (i - start) <= maxLineBytes) {
            parts.push(block.slice(start, i));
            take(joined(parts));
          } else {
            skipped++;
          }
          parts = [];
          length = 0;
          tooLong = false;
          start = i + 1;
        }
        // The rest of the block starts a line that continues in the next one.
        if (!tooLong && length + (read - start) <= maxLineBytes) {
          parts.push(block.slice(start, read));
          length += read - start;
        } else {
          tooLong = true;
          parts = [];
        }
      }
      // A last line without its newline: a crash tore it, or only its newline is missing.
      if (tooLong) skipped++;
      else if (length > 0) take(joined(parts));
    } finally {
      closeSync(fd);
    }
  }
  const kept = metrics.length > maxRecords ? metrics.slice(-maxRecords) : metrics;
  const truncated = seen - kept.length;
  return truncated > 0 ? { metrics: kept, skipped, truncated } : { metrics: kept, skipped };
}

function joined(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
