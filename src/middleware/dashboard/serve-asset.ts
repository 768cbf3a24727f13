// Serves the dashboard's static files when the dashboard runs in-process: our own from the
// package's public/ folder, htmx and uPlot straight from their packages (an app that installs
// bun-apm may block its install script, so public/vendor may not exist there). The edge serves
// the same names from public/ as Workers static assets.
import { join } from 'node:path';

const PUBLIC_DIR = join(import.meta.dir, '..', '..', '..', 'public');
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The only files served: a fixed list, so no request path can reach anything else on disk. */
const ASSETS: Record<string, { type: string; path: () => string }> = {
  'dashboard.js': { type: JS, path: () => join(PUBLIC_DIR, 'dashboard.js') },
  'dashboard.css': { type: CSS, path: () => join(PUBLIC_DIR, 'dashboard.css') },
  'vendor/htmx.min.js': { type: JS, path: () => Bun.resolveSync('htmx.org/dist/htmx.min.js', import.meta.dir) },
  'vendor/uPlot.iife.min.js': { type: JS, path: () => Bun.resolveSync('uplot/dist/uPlot.iife.min.js', import.meta.dir) },
  'vendor/uPlot.min.css': { type: CSS, path: () => Bun.resolveSync('uplot/dist/uPlot.min.css', import.meta.dir) },
};

export async function serveAsset(name: string): Promise<Response | null> {
  const asset = ASSETS[name];
  if (!asset) return null;
  let file;
  try {
    file = Bun.file(asset.path());
  } catch {
    return null; // the package is not installed: answer 404, not 500
  }
  if (!(await file.exists())) return null;
  return new Response(file, {
    headers: { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' },
  });
}
