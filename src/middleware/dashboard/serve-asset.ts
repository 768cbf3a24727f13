// Serves the dashboard's static files when the dashboard runs in-process, from the package's
// public/ folder: the same files the edge serves as Workers static assets. htmx and uPlot are in
// public/vendor, copied from their packages by scripts/copy-assets.mjs (before `npm test`, the demo
// and `npm pack`), so the published package carries them and an app needs no install script.
// They are file imports: Bun gives their path on disk, and embeds them in a `bun build --compile`
// binary, where nothing of the package is on disk.
// TypeScript has no type for a .js or .css file taken as a path, and a global `declare module
// '*.css'` here would clash with an app's own: hence the ignores (not expect-error, which fails
// where an app does declare such modules) and the casts below.
// @ts-ignore: a file import
import dashboardJs from '../../../public/dashboard.js' with { type: 'file' };
// @ts-ignore: a file import
import dashboardCss from '../../../public/dashboard.css' with { type: 'file' };
// @ts-ignore: a file import
import htmxJs from '../../../public/vendor/htmx.min.js' with { type: 'file' };
// @ts-ignore: a file import
import uplotJs from '../../../public/vendor/uPlot.iife.min.js' with { type: 'file' };
// @ts-ignore: a file import
import uplotCss from '../../../public/vendor/uPlot.min.css' with { type: 'file' };

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The only files served: a fixed list, so no request path can reach anything else on disk. */
const ASSETS: Record<string, { type: string; path: string }> = {
  'dashboard.js': { type: JS, path: dashboardJs as string },
  'dashboard.css': { type: CSS, path: dashboardCss as string },
  'vendor/htmx.min.js': { type: JS, path: htmxJs as string },
  'vendor/uPlot.iife.min.js': { type: JS, path: uplotJs as string },
  'vendor/uPlot.min.css': { type: CSS, path: uplotCss as string },
};

export async function serveAsset(name: string): Promise<Response | null> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (asset === undefined) return null;
  const file = Bun.file(asset.path);
  if (!(await file.exists())) return null;
  return new Response(file, {
    headers: { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' },
  });
}
