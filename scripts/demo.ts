// The demo, as far as it is built: realistic traffic counted by the core into rollup cells,
// then the per-route table an on-call engineer would read. Later issues put the preload, the
// edge and the dashboard behind this same command.
import { RollupTable } from '../src/core/rollup.ts';
import { normalisePath } from '../src/core/route-normaliser.ts';
import { QuantileSketch } from '../src/core/sketch.ts';

const table = new RollupTable();
const routes: Array<[string, string, () => number, () => number]> = [
  ['GET', '/users/{id}', () => 5 + Math.random() * 20, () => (Math.random() < 0.02 ? 404 : 200)],
  ['GET', '/search', () => 40 + Math.random() ** 4 * 900, () => 200],
  ['POST', '/orders', () => 80 + Math.random() * 120, () => (Math.random() < 0.05 ? 503 : 201)],
];
const start = Date.now();
const requests = 200_000;
for (let i = 0; i < requests; i++) {
  const [method, template, duration, status] = routes[i % routes.length]!;
  const raw = template.replace('{id}', String(Math.floor(Math.random() * 1e6)));
  table.record(start + i, method, normalisePath(raw), status(), duration(), 256);
}
const byRoute = new Map<string, { count: number; errors: number; sketch: QuantileSketch }>();
for (const cell of table.cellsNow()) {
  const key = `${cell.method} ${cell.route}`;
  const row = byRoute.get(key) ?? { count: 0, errors: 0, sketch: new QuantileSketch() };
  row.count += cell.count;
  row.errors += cell.errors;
  row.sketch.merge(cell.sketch);
  byRoute.set(key, row);
}
console.log(`bun-apm demo: ${requests.toLocaleString('en')} simulated requests counted into ${table.size} rollup cells\n`);
console.log('route'.padEnd(22) + 'count'.padStart(8) + 'errors'.padStart(8) + 'p50 ms'.padStart(9) + 'p95 ms'.padStart(9) + 'p99 ms'.padStart(9));
for (const [route, row] of byRoute) {
  const q = (p: number) => row.sketch.quantile(p).toFixed(1).padStart(9);
  console.log(route.padEnd(22) + String(row.count).padStart(8) + String(row.errors).padStart(8) + q(0.5) + q(0.95) + q(0.99));
}
