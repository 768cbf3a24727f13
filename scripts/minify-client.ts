// Writes public/dashboard.js from src/views/client/dashboard.js minified (its local names shortened
// too: it is one closure, nothing outside it names them, and they were a tenth of it compressed):
// what browsers load, and what the package carries (its JSDoc types and the comments that say why
// stay in the source). Run by scripts/copy-assets.mjs.
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const source = await Bun.file(join(ROOT, 'src/views/client/dashboard.js')).text();
// `minify` as Bun.build takes it: the Transpiler reads it too, though its types name only minifyWhitespace.
const transpiler = new Bun.Transpiler({ loader: 'js', minify: { whitespace: true, syntax: true, identifiers: true } } as Bun.TranspilerOptions);
await Bun.write(join(ROOT, 'public/dashboard.js'), transpiler.transformSync(source));
