// Serves the dashboard's static files when the dashboard runs in-process, from the package's
// public/ folder: the same files the edge serves as Workers static assets. htmx and uPlot are in
// public/vendor, copied from their packages by the `prepare` script (on `npm ci` in a checkout and
// before `npm pack`), so the published package carries them and an app needs no install script.
import { join } from 'node:path';

const PUBLIC_DIR = join(import.meta.dir, '..', '..', '..', 'public');
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The only files served: a fixed list, so no request path can reach anything else on disk. */
const ASSETS: Record<string, string> = {
  'dashboard.js': JS,
  'dashboard.css': CSS,
  'vendor/htmx.min.js': JS,
  'vendor/uPlot.iife.min.js': JS,
  'vendor/uPlot.min.css': CSS,
};

export async function serveAsset(name: string): Promise<Response | null> {
  const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (type === undefined) return null;
  const file = Bun.file(join(PUBLIC_DIR, name));
  if (!(await file.exists())) return null;
  return new Response(file, {
    headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' },
  });
}
