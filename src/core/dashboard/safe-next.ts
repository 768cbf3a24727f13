// Where a sign-in may send the browser next: only a path under the dashboard, parsed and serialised
// again, so neither another site (`//evil`, `/\evil`, `https:`), a path that climbs out
// (`/performance/../x`) nor a header break (CR/LF) can come through from the `next` field.

const MAX_NEXT = 2048;
const ORIGIN = 'http://dashboard.invalid';

export function safeNext(next: string | null | undefined, base: string): string {
  if (!next || next.length > MAX_NEXT || !next.startsWith('/')) return base;
  // Control characters and backslashes: browsers may read `/\host` as `//host`; CR/LF would split headers.
  if (/[\u0000-\u001f\u007f\\]/.test(next) || next.startsWith('//')) return base;
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return base;
  }
  if (url.origin !== ORIGIN) return base;
  const path = url.pathname;
  const inside = base === '/' || path === base || path.startsWith(`${base}/`);
  return inside ? `${path}${url.search}` : base;
}
