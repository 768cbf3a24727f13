// Serves the dashboard's static files from the package's public/ folder when the dashboard runs
// in-process (the edge serves the same folder as Workers static assets).
import { join } from 'node:path';

const PUBLIC_DIR = join(import.meta.dir, '..', '..', '..', 'public');

/** The only files served: a fixed list, so no request path can reach anything else on disk. */
const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'vendor/htmx.min.js': 'text/javascript; charset=utf-8',
  'vendor/uPlot.iife.min.js': 'text/javascript; charset=utf-8',
  'vendor/uPlot.min.css': 'text/css; charset=utf-8',
};

export async function serveAsset(name: string): Promise<Response | null> {
  const type = ASSETS[name];
  if (!type) return null;
  const file = Bun.file(join(PUBLIC_DIR, name));
  if (!(await file.exists())) return null;
  return new Response(file, {
    headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' },
  });
}
