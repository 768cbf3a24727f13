// `bun --preload bun-apm/preload app.ts`: measures every request of the app's Bun.serve servers,
// its known routers and its outbound fetch, and ships batches to the edge. Configuration comes
// from BUN_APM_* and an optional bun-apm.config.ts; a bad setting is one line on stderr and the
// app starts unmonitored. Nothing here may stop the app from starting.
import { disabledByEnv } from './preload/config-env.ts';
import { errorClassOf, writeStderr } from './runtime/log.ts';

// bunfig.toml preloads apply to every `bun run` in the app, `bunx bun-apm …` included: our own
// command line is not the app and is never measured (main.ts here, main.js in the package's build).
const isOwnCli = Bun.main === ownCli();

/** bun-apm's CLI entry beside this file (main.ts from source, main.js in the build), resolved natively: no node:path in the app's heap. */
function ownCli(): string | undefined {
  try {
    return Bun.resolveSync('./cli/main', import.meta.dir);
  } catch {
    return undefined;
  }
}

try {
  // Loaded only when it will run: BUN_APM_DISABLED=1 (or our own CLI) then costs the app two small
  // modules, not the ~65 of the recorder, batcher and hooks (45 ms of start-up, and their heap).
  if (!isOwnCli && !disabledByEnv(process.env)) {
    const { startMonitoring } = await import('./preload/start-monitoring.ts');
    await startMonitoring(process.env, process.cwd(), Bun.main);
  }
} catch (error) {
  const detail = error instanceof Error && error.name === 'ConfigError' ? error.message : `${errorClassOf(error)}: ${(error as Error)?.message}`;
  writeStderr(`bun-apm: ${detail} — monitoring is off, the app runs without it`);
}
