// Runs the edge Worker in the local Workers runtime (workerd through Miniflare) from wrangler.toml:
// the same Durable Object binding, vars, assets and compatibility date as a deployment. Used by
// `bun run dev:edge`, the edge tests and bench/ingest.ts.
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { Miniflare, type Json, type Log, type MiniflareOptions } from 'miniflare';

const ROOT = resolve(import.meta.dir, '..');

interface WranglerConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  /** A TOML number, boolean, array or table stays that JSON value, as wrangler passes it. */
  vars?: Record<string, Json>;
  durable_objects: { bindings: Array<{ name: string; class_name: string }> };
  assets?: { directory: string; binding?: string };
  triggers?: { crons?: string[] };
  send_email?: Array<{ name: string; destination_address?: string; allowed_destination_addresses?: string[] }>;
}

export async function readWranglerConfig(): Promise<WranglerConfig> {
  return Bun.TOML.parse(await Bun.file(join(ROOT, 'wrangler.toml')).text()) as WranglerConfig;
}

const ENTRIES = {
  /** What wrangler deploys. */
  production: 'src/edge/worker.ts',
  /** The production entry plus /__scheduled, a movable store clock and the benchmark floor. */
  local: 'src/edge/local-entry.ts',
} as const;
export type EdgeEntry = keyof typeof ENTRIES;

const NODE_BUILTINS = new Set(builtinModules);

/** Bundles one of the Worker's entries for workerd (see bundleModule). */
export function bundleWorker(entry: EdgeEntry): Promise<string> {
  return bundleModule(join(ROOT, ENTRIES[entry]));
}

/**
 * Bundles a module for workerd. Node and Bun modules fail the build: the Worker runs on web
 * standards and `cloudflare:` modules only.
 */
export async function bundleModule(path: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: [path],
    target: 'browser',
    format: 'esm',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    // The views are @kitajs/html JSX: strings, not React elements (React is in node_modules too).
    jsx: { runtime: 'automatic', importSource: '@kitajs/html', development: false },
    throw: false,
    plugins: [{
      name: 'workers-only',
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          const bare = args.path.replace(/^node:/, '').split('/')[0]!;
          if (args.path.startsWith('node:') || args.path.startsWith('bun:') || args.path === 'bun' || NODE_BUILTINS.has(bare)) {
            throw new Error(`${args.importer} imports ${args.path}: the Worker bundle must not pull in Node or Bun code`);
          }
          return undefined;
        });
      },
    }],
  });
  if (!result.success) throw new Error(`bundling ${path} failed: ${result.logs.map((log) => log.message).join('; ')}`);
  return result.outputs[0]!.text();
}

const bundles = new Map<string, Promise<string>>();

export interface LocalEdgeOptions {
  /** Default `local`. */
  entry?: EdgeEntry;
  /** A module to bundle instead of `entry` (tests: an entry that re-exports the local one with extra setup). */
  entryPath?: string;
  /** Folder for the Durable Objects' SQLite files; unset = in memory, gone at dispose. */
  persistDir?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Vars and secrets, over wrangler.toml's vars: a number, boolean, array or object is passed as that JSON value, as wrangler passes a TOML one. */
  bindings?: Record<string, Json>;
  /** Miniflare's log (the send_email binding logs the file each message was written to). */
  log?: Log;
  /** The only addresses the send_email binding may send to (as Email Routing's verified destinations); unset: any. */
  emailDestinations?: string[];
}

export interface LocalEdge {
  mf: Miniflare;
  /** Base URL, e.g. http://127.0.0.1:8787/ */
  url: URL;
  /** An RPC stub of one app's AppStore (with the local entry's extra methods). */
  store(app: string): Promise<any>;
  dispose(): Promise<void>;
}

/**
 * Starts the Worker in workerd and waits until it listens.
 *
 * @example
 * const edge = await startLocalEdge({ bindings: { INGEST_KEYS: 'shop:k1', API_KEYS: 'shop:r1' } });
 * await fetch(new URL('/healthz', edge.url));
 * await edge.dispose();
 */
export async function startLocalEdge(options: LocalEdgeOptions = {}): Promise<LocalEdge> {
  const config = await readWranglerConfig();
  const entry = options.entry ?? 'local';
  const bundleKey = options.entryPath ?? entry;
  let bundle = bundles.get(bundleKey);
  if (bundle === undefined) {
    bundle = options.entryPath === undefined ? bundleWorker(entry) : bundleModule(resolve(options.entryPath));
    bundles.set(bundleKey, bundle);
  }
  const script = await bundle;
  const durableObjects: NonNullable<MiniflareOptions['durableObjects']> = {};
  for (const binding of config.durable_objects.bindings) {
    durableObjects[binding.name] = { className: binding.class_name, useSQLite: true };
  }
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: script }],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    bindings: { ...config.vars, ...options.bindings },
    durableObjects,
    durableObjectsPersist: options.persistDir ?? false,
    ...(config.send_email && { email: { send_email: config.send_email.map((binding) => (options.emailDestinations ? { ...binding, allowed_destination_addresses: options.emailDestinations } : binding)) } }),
    ...(options.log && { log: options.log }),
    ...(config.assets && { assets: { directory: join(ROOT, config.assets.directory), binding: config.assets.binding, routerConfig: { has_user_worker: true } } }),
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
  });
  const url = await mf.ready;
  const doBinding = config.durable_objects.bindings[0]!.name;
  return {
    mf,
    url,
    async store(app) {
      const namespace = await mf.getDurableObjectNamespace(doBinding);
      return namespace.get(namespace.idFromName(app));
    },
    dispose: () => mf.dispose(),
  };
}
