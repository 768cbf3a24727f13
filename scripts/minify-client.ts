// Writes public/dashboard.js from src/views/client/dashboard.js without comments or layout (names
// kept): what browsers load, and what the package carries (its JSDoc types and the comments that say
// why stay in the source). Run by scripts/copy-assets.mjs.
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const source = await Bun.file(join(ROOT, 'src/views/client/dashboard.js')).text();
const transpiler = new Bun.Transpiler({ loader: 'js', minifyWhitespace: true });
await Bun.write(join(ROOT, 'public/dashboard.js'), transpiler.transformSync(source));
