// The query parameters each JSON API endpoint reads, by its route path: params.ts refuses any other
// name there, so a misspelt `lmit=5` is a 400 naming it rather than an answer with the default limit.
const ROLLUP_WINDOW = ['from', 'to', 'step'] as const;
const RAW_WINDOW = ['from', 'to'] as const;
const FILTERS = ['route', 'method'] as const;

/** Route path → the names its handler reads (read-routes.ts, usage-routes.ts, alert-routes.ts); every JSON API route is listed. */
export const QUERY_NAMES: Readonly<Record<string, readonly string[]>> = {
  '/api/v1/apps': [],
  '/api/v1/usage': [],
  '/api/v1/apps/:app/instances': [],
  '/api/v1/apps/:app/status': [],
  '/api/v1/apps/:app/traces/:traceId': [],
  '/api/v1/apps/:app/summary': [...ROLLUP_WINDOW, ...FILTERS, 'apdexThreshold'],
  '/api/v1/apps/:app/live': [...FILTERS, 'apdexThreshold'],
  '/api/v1/apps/:app/timeseries': [...ROLLUP_WINDOW, ...FILTERS, 'metric', 'apdexThreshold'],
  '/api/v1/apps/:app/routes': [...ROLLUP_WINDOW, ...FILTERS, 'apdexThreshold', 'sort', 'order', 'limit'],
  '/api/v1/apps/:app/samples': [...RAW_WINDOW, ...FILTERS, 'status', 'minDuration', 'limit', 'cursor'],
  '/api/v1/apps/:app/traces': [...RAW_WINDOW, ...FILTERS, 'minDuration', 'errors', 'sort', 'limit', 'cursor'],
  '/api/v1/apps/:app/profiles': [...RAW_WINDOW, 'instance', 'limit', 'cursor'],
  '/api/v1/apps/:app/export.ndjson': RAW_WINDOW,
  '/api/v1/apps/:app/usage': ['days'],
  '/api/v1/apps/:app/rules': [],
  '/api/v1/apps/:app/rules/:id': [],
  '/api/v1/apps/:app/alerts': ['limit'],
  '/api/v1/apps/:app/alerts/:id/resolve': [],
};

const COMPILED = Object.entries(QUERY_NAMES).map(([path, names]) => ({ segments: path.split('/'), names }));

/** The names the endpoint at `pathname` reads, or undefined when it has no list (any name passes). */
export function acceptedNames(pathname: string): readonly string[] | undefined {
  const parts = pathname.split('/');
  // As the router matches: `:name` is one non-empty segment, anything else is literal.
  return COMPILED.find(({ segments }) => segments.length === parts.length && segments.every((s, i) => (s.startsWith(':') ? parts[i] !== '' : s === parts[i])))?.names;
}
