// Builds dist/, what the package ships instead of its TypeScript sources: for each file of src/ one
// JavaScript module (comments and layout removed, identifiers kept, so a stack trace names the
// function and the module it is in), with `./x.ts` imports turned into `./x.js`, and the
// declaration files that the package's exported types reach (JSDoc kept on the public ones, see
// DOCUMENTED). The views' JSX is compiled here, for @kitajs/html, so an
// app's own JSX settings never reach it. No bundling: one module per source file keeps the
// process-wide registries (and the recorder the preload and the middleware share) single.
// Runs as `prepack`, so `npm pack` always ships a fresh build; `npm run typecheck` checks the types.
//   bun scripts/build.ts
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dir, '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

/**
 * Modules shipped as a bundle of their own, with the dependency they re-export inlined (and tree-shaken)
 * instead of installed: valibot's package is 1.8 MB, what the validator uses of it a few kB.
 */
const INLINED = new Set(['src/core/valibot.ts']);

/**
 * Sources that never ship: the workerd entry with test hooks, the benchmark's floor (local only) and
 * the settings' documentation (the README is made from it).
 */
const LOCAL_ONLY = new Set(['src/edge/local-entry.ts', 'src/edge/store/floor.ts', 'src/core/config/settings-docs.ts']);

/**
 * Each runtime's own project, so each file's declarations are inferred under the types it is
 * checked with: the web-standard core and views, the Bun side, the Worker.
 */
const PROJECTS: Array<{ config: string; owns: RegExp }> = [
  { config: 'tsconfig.json', owns: /^src\/(core\/|views\/|index\.ts$)/ },
  { config: 'tsconfig.bun.json', owns: /^src\/(plugin|middleware)\// },
  { config: 'src/edge/tsconfig.json', owns: /^src\/edge\// },
];

/**
 * Declarations that keep their JSDoc: the entry points and the types an app's code names directly
 * (its config file, the wire format, sketches, alert rules, channels and notifications, the
 * explicit API's classes, adapters and options; not the alert engine's or the middleware's
 * internals). The rest ship bare:
 * an app's compiler needs their shapes, not our notes, and the docs of those internal modules were
 * a tenth of the tarball.
 */
const DOCUMENTED = /^dist\/(index|core\/config|core\/config\/[^/]+|core\/wire-format|core\/alerts\/(rule|channel|notification|validate-rule)|middleware\/[^/]+|middleware\/(adapters\/.+|[a-z]+\/[a-z]+-options|monitor\/read-metrics-file)|plugin\/preload)\.d\.ts$/;

/**
 * Whitespace out of the shipped JavaScript (a third of its compressed size) and its syntax
 * shortened (constants folded, branches joined: 1.6 kB more), names kept: a stack trace still
 * names the function and its module, one module per source file.
 */
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The package's version written into the code (src/plugin/runtime/identity.ts), rather than its package.json loaded at run time. */
// `minify` as Bun.build takes it: the Transpiler reads it too, though its types name only
// minifyWhitespace (test/package/tarball.test.ts would see the size if it stopped).
const ONE_LINE = new Bun.Transpiler({ loader: 'js', minify: { whitespace: true, syntax: true }, trimUnusedImports: false, define: { PACKAGE_VERSION_AT_BUILD: JSON.stringify(VERSION) } } as Bun.TranspilerOptions);
const IMPORT_ATTRIBUTES = /\bwith\s*\{\s*type\s*:/;

/** `code` without whitespace, but for what Bun's transpiler would lose: a shebang, import attributes. */
function oneLine(code: string): string {
  if (IMPORT_ATTRIBUTES.test(code)) return code;
  const shebang = /^#!.*\n/.exec(code)?.[0] ?? '';
  return shebang + ONE_LINE.transformSync(code.slice(shebang.length));
}

/** Relative `.ts`/`.tsx` specifiers in declaration output, which the compiler leaves as written. */
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.tsx?\2/g;

interface Manifest {
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
}

const rel = (path: string) => relative(ROOT, path).split(sep).join('/');
const outPath = (source: string, extension: string) => join(DIST, relative(SRC, source)).replace(/\.tsx?$/, extension);

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  const host = { getCanonicalFileName: (name: string) => name, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  throw new Error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The declaration files reachable from `entries` through their relative imports. */
function reachable(declarations: Map<string, string>, entries: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (seen.has(path)) continue;
    const text = declarations.get(path);
    if (text === undefined) throw new Error(`${rel(path)}: no declarations were emitted for it`);
    seen.add(path);
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)\.js['"]/g)) pending.push(resolve(dirname(path), `${match[1]}.d.ts`));
  }
  return seen;
}

export async function build(): Promise<{ modules: number; declarations: number }> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  rmSync(DIST, { recursive: true, force: true });
  const declarations = new Map<string, string>();
  const bare = new Map<string, string>();
  let modules = 0;
  for (const project of PROJECTS) {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, project.config), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) });
    if (!parsed) throw new Error(`${project.config}: not readable`);
    if (parsed.errors.length > 0) fail(parsed.errors);
    // A .d.ts source (a global type a runtime's lib lacks) only serves our own checks.
    const sources = parsed.fileNames.filter((path) => project.owns.test(rel(path)) && !LOCAL_ONLY.has(rel(path)) && !path.endsWith('.d.ts'));

    const options: ts.CompilerOptions = {
      ...parsed.options, noEmit: false, noCheck: true, declaration: true, emitDeclarationOnly: true, rootDir: SRC, outDir: DIST, plugins: [],
    };
    const owned = new Set(sources.map((path) => outPath(path, '.d.ts')));
    for (const [into, removeComments] of [[declarations, false], [bare, true]] as const) {
      const emitted = ts.createProgram(sources, { ...options, removeComments }).emit(undefined, (path, text) => {
        // Another project's file, pulled in by an import, is emitted by its own project.
        if (owned.has(path)) into.set(path, text.replace(TS_SPECIFIER, '$1$2$3.js$2'));
      });
      if (emitted.diagnostics.length > 0) fail(emitted.diagnostics);
    }

    // isolatedModules holds, so each file compiles alone the same as in the program.
    const { target, module, jsx, jsxImportSource, verbatimModuleSyntax } = parsed.options;
    const compilerOptions = { target, module, jsx, jsxImportSource, verbatimModuleSyntax, rewriteRelativeImportExtensions: true, removeComments: true };
    for (const source of sources) {
      if (INLINED.has(rel(source))) {
        write(outPath(source, '.js'), await bundled(source));
        modules++;
        continue;
      }
      const { outputText, diagnostics } = ts.transpileModule(readFileSync(source, 'utf8'), { fileName: source, reportDiagnostics: true, compilerOptions });
      if (diagnostics && diagnostics.length > 0) fail(diagnostics);
      const code = oneLine(outputText);
      // A module of types only compiles to nothing, and nothing imports it at run time (verbatimModuleSyntax).
      if (code.trim() === '') continue;
      write(outPath(source, '.js'), code);
      modules++;
    }
  }

  const entries = Object.values(manifest.exports).filter((target) => typeof target !== 'string');
  // Only what an app's `tsc` can reach from an export: the other modules' types are ours alone.
  const shipped = reachable(declarations, entries.map((target) => join(ROOT, target.types)));
  for (const path of shipped) write(path, (DOCUMENTED.test(rel(path)) ? declarations : bare).get(path)!);
  for (const path of [...entries.map((target) => target.default), ...Object.values(manifest.bin)]) {
    if (!existsSync(join(ROOT, path))) throw new Error(`package.json names ${path}, which the build did not make`);
  }
  for (const path of Object.values(manifest.bin)) chmodSync(join(ROOT, path), 0o755);
  return { modules, declarations: shipped.size };
}

/** One module with its imports inlined, as an ES module for any runtime (Bun, workerd). */
async function bundled(source: string): Promise<string> {
  const result = await Bun.build({ entrypoints: [source], format: 'esm', target: 'browser', minify: { whitespace: true, syntax: true } });
  if (!result.success) throw new AggregateError(result.logs, `${rel(source)}: bundling failed`);
  // The inlined package's licence travels with its code, as the MIT licence asks.
  const licence = readFileSync(join(ROOT, 'node_modules', 'valibot', 'LICENSE.md'), 'utf8').trim();
  return `/*! Built from ${rel(source)}: the parts of valibot it re-exports.\n${licence}\n*/\n${await result.outputs[0]!.text()}`;
}

if (import.meta.main) {
  const started = performance.now();
  const { modules, declarations } = await build();
  // On stderr: `npm pack --json` runs this as prepack, and its stdout is the JSON.
  console.error(`dist/: ${modules} modules and ${declarations} declaration files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
