// Copies the dashboard's third-party browser code from node_modules into public/vendor, so that
// it is served from our own origin (never a CDN) and never edited by hand, and writes our own
// (public/dashboard.js, from src/views/client) without comments. Runs before `npm test`, `npm run
// demo`, `npm run dev:edge` and `npm pack` (their pre scripts), so the published package carries the
// files. Not as `prepare`: npm lists a package with one as having install scripts, which an app's
// `npm install` then warns about (a review), though the package needs none.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'public', 'vendor');
const files = [
  ['htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['uplot/dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['uplot/dist/uPlot.min.css', 'uPlot.min.css'],
];

mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) copyFileSync(join(root, 'node_modules', from), join(vendor, to));
// Bun (a devDependency) minifies: this runs under Node, which has no transpiler of its own.
execFileSync(join(root, 'node_modules', '.bin', 'bun'), [join(root, 'scripts', 'minify-client.ts')], { stdio: 'inherit' });
