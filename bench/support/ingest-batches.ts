// Batches for bench/ingest.ts: what one instance sends per flush, from a typical app at the
// defaults up to the largest batch the wire format allows, with realistic field values.
import { RollupTable } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch, DetailSample, Span, SystemProfile } from '../../src/core/wire-format.ts';
import { seededRandom } from '../../test/support/random.ts';

export interface BatchShape {
  name: string;
  /** Distinct routes; each gets GET and POST cells of 2xx and 5xx. */
  routes: number;
  /** Requests counted in the cells. */
  requests: number;
  samples: number;
  /** Traces of 3 spans each (a server span, a database call, an outbound fetch). */
  traces: number;
  profiles: number;
}

/**
 * A typical app at the defaults over one 10 s flush: 50 requests/s over 12 routes, sampleRate 0.1
 * (50 detail records), traceSampleRate 0.01 (5 traces), a system profile every 5 s.
 */
export const TYPICAL: BatchShape = { name: 'typical (10 s at 50 req/s, defaults)', routes: 12, requests: 500, samples: 50, traces: 5, profiles: 2 };
/** The same app with detail off (sample and trace rates 0), a profile a minute, flushing every 60 s. */
export const LEAN: BatchShape = { name: 'typical, lean (60 s at 50 req/s, no detail, 1 profile)', routes: 12, requests: 3_000, samples: 0, traces: 0, profiles: 1 };
/** An idle instance's heartbeat: no request in a minute, the system profiles of that minute (every 5 s). */
export const IDLE: BatchShape = { name: 'idle (60 s heartbeat, no requests)', routes: 0, requests: 0, samples: 0, traces: 0, profiles: 12 };
/** The client's cut: 1,000 detail records, with 200 cells. */
export const FULL: BatchShape = { name: 'full (1,000 samples + 200 cells)', routes: 50, requests: 4_000, samples: 1_000, traces: 0, profiles: 0 };
/** The wire format's limit of samples, with 1,000 cells. */
export const LARGE: BatchShape = { name: 'large (5,000 samples + 1,000 cells)', routes: 250, requests: 20_000, samples: 5_000, traces: 0, profiles: 0 };

const random = seededRandom(1);

export function makeBenchBatch(shape: BatchShape, app: string, instance: string, minute: number, id: string): Batch {
  const table = new RollupTable();
  const per = shape.routes === 0 ? 0 : Math.max(1, Math.round(shape.requests / (shape.routes * 4)));
  for (let r = 0; r < shape.routes; r++) {
    for (const method of ['GET', 'POST']) {
      for (const status of [200, 503]) {
        for (let k = 0; k < per; k++) table.record(minute + (k % 60) * 1000, method, `/api/resource-${r}/:id`, status, 5 + random() * 200, 512);
      }
    }
  }
  const samples: DetailSample[] = Array.from({ length: shape.samples }, (_, k) => ({
    timestamp: minute + (k % 60) * 1000, method: k % 3 ? 'GET' : 'POST', path: `/api/resource-${k % Math.max(1, shape.routes)}/${k}`, route: `/api/resource-${k % Math.max(1, shape.routes)}/:id`,
    statusCode: k % 20 ? 200 : 503, duration: 5 + random() * 200, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36',
    memoryUsage: { rss: 80_000_000, heapUsed: 30_000_000, heapTotal: 40_000_000 }, cpuUsage: 12.5,
    traceId: newTraceId(), spanId: newSpanId(), responseSize: 512,
  }));
  const spans: Span[] = [];
  for (let t = 0; t < shape.traces; t++) {
    const traceId = newTraceId();
    const root = newSpanId();
    const start = minute + t * 1000;
    spans.push(
      { traceId, spanId: root, name: `GET /api/resource-${t}/:id`, kind: 'server', startTime: start, duration: 40, status: 'ok', tags: { 'http.method': 'GET', 'http.route': `/api/resource-${t}/:id`, 'http.status_code': 200 }, logs: [] },
      { traceId, spanId: newSpanId(), parentSpanId: root, name: 'db.query', kind: 'internal', startTime: start + 2, duration: 12, status: 'ok', tags: { 'db.table': 'orders' }, logs: [] },
      { traceId, spanId: newSpanId(), parentSpanId: root, name: 'GET api.example.com', kind: 'client', startTime: start + 15, duration: 20, status: 'ok', tags: { 'http.url': 'https://api.example.com/v1/prices', 'http.status_code': 200 }, logs: [] },
    );
  }
  const profiles: SystemProfile[] = Array.from({ length: shape.profiles }, (_, k) => ({
    timestamp: minute + k * 5000, rss: 80_000_000, heapUsed: 30_000_000, heapTotal: 40_000_000, cpuPercent: 12, eventLoopLagMs: 1.5, inFlight: 3,
  }));
  return {
    version: 1,
    batchId: id,
    identity: { app, service: 'api', instance, runtime: 'bun', runtimeVersion: Bun.version, sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 60_000 },
    rollups: table.drain(), samples, spans, profiles,
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

export function eventsOf(batch: Batch): number {
  return batch.rollups.length + batch.samples.length + batch.spans.length + batch.profiles.length;
}
