// One request's detail record as rules see it: what a `customEvaluator` receives. A leaf, so that
// rule.ts (which names it) and alert-data.ts (which reads rules) don't import each other.

/** A detail record as the spec's `PerformanceMetrics` names it: what a `customEvaluator` receives. */
export interface AlertSample {
  timestamp: number;
  method: string;
  path: string;
  /** Route template where known. */
  route?: string;
  statusCode: number;
  /** ms. */
  responseTime: number;
  userAgent?: string;
  memoryUsage?: { rss: number; heapUsed: number; heapTotal: number };
  cpuUsage?: number;
  traceId?: string;
  spanId?: string;
  responseSize?: number;
  error?: string;
}
